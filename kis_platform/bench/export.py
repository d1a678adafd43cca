"""Export benchmark: a year of the whole market's daily bars (2,500 symbols x 245 days ~ 612k rows) to Parquet.

`run(["--symbols", "2500", "--days", "245"])` creates a scratch database next to the market database (never
touching real data), seeds daily bars and a point-in-time master with SQL, exports daily_bars + instruments
for market ALL and for KOSPI (the point-in-time market filter), and reports export_rows, export_seconds,
rows_per_s (whole market) and kospi_rows / kospi_seconds. The scratch database is dropped afterwards.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from typing import Any

import psycopg
from psycopg import sql

from kis_platform.bench._common import add_dsn_argument, market_database
from kis_platform.export import export
from kis_platform.storage.database import with_database
from kis_platform.storage.migrations import upgrade

_SEED = """
INSERT INTO instrument_history (isin, valid_from, symbol, name, market, change_reason, source)
SELECT 'KR7' || lpad(i::text, 6, '0') || '00' || (i % 10)::text, DATE '2020-01-02', lpad((100000 + i)::text, 6, '0'),
       'BENCH ' || i, CASE WHEN i % 2 = 0 THEN 'KOSPI' ELSE 'KOSDAQ' END, 'FIRST_SEEN', 'SIM_KRX'
FROM generate_series(1, %(symbols)s) i;
INSERT INTO daily_bars (symbol, trade_date, source, adjusted, open, high, low, close, volume, turnover_krw,
                        market_cap_krw, listed_shares, fetched_at)
SELECT lpad((100000 + i)::text, 6, '0'), day, 'SIM_KRX', false, p, p + 300, p - 300, p + 100, 1000 + i * 7,
       (1000 + i * 7)::bigint * p, p::bigint * 1000000, 1000000, now()
FROM generate_series(1, %(symbols)s) i,
     LATERAL (SELECT (DATE '2025-01-02' + d * 7 / 5)::date AS day, 10000 + ((i * 31 + d * 17) %% 5000) AS p
              FROM generate_series(0, %(days)s - 1) d) g;
ANALYZE;
"""


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="kis-platform bench export", description=__doc__.splitlines()[0])
    add_dsn_argument(parser)
    parser.add_argument("--symbols", type=int, default=2500)
    parser.add_argument("--days", type=int, default=245)
    args = parser.parse_args(argv)
    with market_database(args.dsn) as base:
        scratch = f"bench_export_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        dsn = with_database(base, scratch)
        try:
            upgrade(dsn)
            with psycopg.connect(dsn, autocommit=True) as conn:
                started = time.perf_counter()
                conn.execute(_SEED.replace("%(symbols)s", str(args.symbols)).replace("%(days)s", str(args.days))
                             .replace("%%", "%"))
                seed_s = time.perf_counter() - started
                last = conn.execute("SELECT max(trade_date) FROM daily_bars").fetchone()[0]
            with tempfile.TemporaryDirectory() as out:
                started = time.perf_counter()
                whole = export(dsn, market="ALL", date_from="2025-01-02", date_to=last,
                               datasets=["daily_bars", "instruments"], output_path=f"{out}/all")
                seconds = time.perf_counter() - started
                started = time.perf_counter()
                kospi = export(dsn, market="KOSPI", date_from="2025-01-02", date_to=last,
                               datasets=["daily_bars"], output_path=f"{out}/kospi")
                kospi_s = time.perf_counter() - started
        finally:
            with psycopg.connect(base, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
    rows = next(f.rows for f in whole.files if f.dataset == "daily_bars")
    return {"export_rows": rows, "export_seconds": round(seconds, 3), "rows_per_s": round(rows / seconds),
            "parquet_bytes": sum(f.bytes for f in whole.files), "seed_seconds": round(seed_s, 3),
            "kospi_rows": kospi.files[0].rows, "kospi_seconds": round(kospi_s, 3)}
