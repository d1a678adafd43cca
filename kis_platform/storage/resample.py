"""Keep the resampled bars (minute_bars_3m … minute_bars_1d) in step with minute_bars.

Plain PostgreSQL: they are tables that the SQL function `refresh_resampled_bars()` (sql/0020) recomputes for a
window; the writer calls it in the same transaction as every minute_bars write, so nothing else is needed.
TimescaleDB: they are views over continuous aggregates with real-time aggregation; refresh policies keep the last
days materialised, and after a backfill of older days call `refresh_resampled(conn, start, end)` on an
autocommit connection to materialise that window (refresh_continuous_aggregate cannot run in a transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

import pandas as pd
import psycopg
from psycopg import sql

RESAMPLED_TABLES = {
    "3m": "minute_bars_3m", "5m": "minute_bars_5m", "10m": "minute_bars_10m",
    "30m": "minute_bars_30m", "60m": "minute_bars_60m", "1d": "minute_bars_1d",
}


def is_timescale(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone() is not None


def refresh_resampled(
    conn: psycopg.Connection,
    start: datetime | None = None,
    end: datetime | None = None,
    symbols: Sequence[str] | None = None,
) -> int:
    """Recompute resampled bars for the buckets overlapping [start, end) (None = all history) and `symbols`
    (None = all). Plain path: runs in the caller's transaction and returns rows written. TimescaleDB: refreshes
    the continuous aggregates over whole KST days covering the window when `conn` is in autocommit mode
    (symbols are ignored), otherwise does nothing (policies catch up); returns 0."""
    if is_timescale(conn):
        if conn.autocommit:
            lo = None if start is None else pd.Timestamp(start).tz_convert("Asia/Seoul").floor("D")
            hi = None if end is None else pd.Timestamp(end).tz_convert("Asia/Seoul").ceil("D") + timedelta(days=1)
            for suffix in RESAMPLED_TABLES:
                conn.execute(sql.SQL("CALL refresh_continuous_aggregate({}, %s, %s)").format(
                    sql.Literal(f"cagg_minute_bars_{suffix}")), (lo, hi))
        return 0
    row = conn.execute(
        "SELECT refresh_resampled_bars(%s::timestamptz, %s::timestamptz, %s::text[])",
        (start, end, list(symbols) if symbols is not None else None),
    ).fetchone()
    return int(row[0] or 0)
