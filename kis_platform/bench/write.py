"""Write benchmark: 1,000,000 minute bars through the writer versus a plain COPY of the same rows.

`run(["--rows", "1000000"])` writes into a scratch copy of minute_bars (`bench_minute_bars`, dropped afterwards,
so real data is never touched) and reports, per figure the median of --repeat interleaved rounds:

* copy_s / copy_rows_per_s: the rows converted (frames.prepare_frame: its type checks are a few ms of its
  ~0.25 s, the rest is the conversion any binary COPY of these dtypes needs) and streamed with one binary COPY
  into the empty table, block by block with the same numpy encoder the writer uses (copy_binary.stream; the
  server parses binary faster than text or CSV). No checks, no DELETE, no staging.
* overwrite_s / overwrite_vs_copy (= copy_s / overwrite_s, target >= 0.8): `replace_window` over the same rows
  already in the table: re-running a partition. The writer samples the stored rows, finds them unchanged and
  merges (stage, one join, nothing written).
* overwrite_changed_s / overwrite_changed_vs_copy: `replace_window` where every stored row differs (close and
  high changed): the sample says so and the writer rewrites the window with DELETE + COPY.
* upsert_s / upsert_vs_copy (target >= 0.6): `upsert` of rows identical to the stored ones (re-fetching what we
  already have); upsert_changed_s / upsert_changed_vs_copy: every row's close changed (all rows updated).

Writes into the real minute_bars also refresh the resampled bars in the same transaction; this scratch table
has none, so that cost is not in these figures (see docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import pandas as pd
import psycopg
from psycopg import sql

from kis_platform.bench._common import (
    add_dsn_argument,
    market_database,
    synthetic_minute_bars,
)
from kis_platform.storage import copy_binary
from kis_platform.storage.frames import prepare_frame, table_info
from kis_platform.storage.pool import close_pools
from kis_platform.storage.writer import MarketWriter

TABLE = "bench_minute_bars"


def _plain_copy(dsn: str, df: pd.DataFrame) -> float:
    """Encode and COPY the frame with nothing else: no checks, no DELETE, empty table."""
    with psycopg.connect(dsn) as conn:
        conn.execute(sql.SQL("TRUNCATE {}").format(sql.Identifier(TABLE)))
        conn.commit()
        conn.execute("CHECKPOINT")
        info = table_info(conn, TABLE)
        started = time.perf_counter()
        prepared = prepare_frame(info, df)
        cols = sql.SQL(", ").join(map(sql.Identifier, df.columns))
        with conn.cursor() as cur, cur.copy(
                sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(sql.Identifier(TABLE), cols)) as copy:
            for block in copy_binary.stream(prepared, len(df)):
                copy.write(block)
        conn.commit()
        return time.perf_counter() - started


def _timed(fn: Any, dsn: str) -> float:
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("VACUUM {}").format(sql.Identifier(TABLE)))
        conn.execute("CHECKPOINT")
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="kis-platform bench write", description=__doc__.splitlines()[0])
    add_dsn_argument(parser)
    parser.add_argument("--rows", type=int, default=1_000_000, help="minute bars to write (default 1,000,000)")
    parser.add_argument("--symbols", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of all four writes (medians reported)")
    args = parser.parse_args(argv)

    days = pd.bdate_range("2025-01-02", periods=-(-args.rows // (args.symbols * 381)))
    df = synthetic_minute_bars(args.symbols, days).iloc[: args.rows].reset_index(drop=True)
    start, end = df["bar_start"].min(), df["bar_start"].max() + pd.Timedelta(minutes=1)
    changed = df.assign(close=df["close"] + 1, high=df["high"] + 1)
    with market_database(args.dsn) as dsn:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP TABLE IF EXISTS {t}; CREATE TABLE {t} (LIKE minute_bars INCLUDING ALL)").format(
                t=sql.Identifier(TABLE)))
        writer = MarketWriter(dsn)
        runs: dict[str, list[float]] = {k: [] for k in ("copy", "overwrite", "overwrite_changed", "upsert",
                                                         "upsert_changed")}
        try:
            for _ in range(args.repeat):  # interleaved, so a busy neighbour slows every method alike
                runs["copy"].append(_plain_copy(dsn, df))
                runs["overwrite"].append(
                    _timed(lambda: writer.replace_window(TABLE, df, "bar_start", start, end), dsn))
                runs["overwrite_changed"].append(
                    _timed(lambda: writer.replace_window(TABLE, changed, "bar_start", start, end), dsn))
                runs["upsert"].append(_timed(lambda: writer.upsert(TABLE, changed, ["symbol", "bar_start"]), dsn))
                runs["upsert_changed"].append(
                    _timed(lambda: writer.upsert(TABLE, df, ["symbol", "bar_start"]), dsn))
            with psycopg.connect(dsn) as conn:
                count, closes = conn.execute(sql.SQL("SELECT count(*), sum(close) FROM {}").format(
                    sql.Identifier(TABLE))).fetchone()
            if count != len(df) or int(closes) != int(df["close"].sum()):
                raise RuntimeError(f"benchmark table ended with {count} rows; expected {len(df)}")
        finally:
            close_pools()
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(TABLE)))

    copy_s, overwrite_s, overwrite_changed_s, upsert_s, upsert_changed_s = (statistics.median(runs[k]) for k in runs)
    figures = {
        "rows": len(df),
        "repeat": args.repeat,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "copy_s": round(copy_s, 3),
        "copy_rows_per_s": round(len(df) / copy_s),
        "overwrite_s": round(overwrite_s, 3),
        "overwrite_vs_copy": round(copy_s / overwrite_s, 3),
        "overwrite_changed_s": round(overwrite_changed_s, 3),
        "overwrite_changed_vs_copy": round(copy_s / overwrite_changed_s, 3),
        "upsert_s": round(upsert_s, 3),
        "upsert_vs_copy": round(copy_s / upsert_s, 3),
        "upsert_changed_s": round(upsert_changed_s, 3),
        "upsert_changed_vs_copy": round(copy_s / upsert_changed_s, 3),
    }
    print(f"write benchmark: {len(df):,} minute bars, {args.symbols} symbols, {len(days)} sessions, "
          f"median of {args.repeat}; load average {figures['load_average_1m']} on {os.cpu_count()} CPUs")
    rows = [("plain COPY", copy_s, f"{figures['copy_rows_per_s']:>10,} rows/s"),
            ("replace_window (same)", overwrite_s, f"overwrite_vs_copy {figures['overwrite_vs_copy']:.2f} (target >= 0.8)"),
            ("replace_window (changed)", overwrite_changed_s, f"{figures['overwrite_changed_vs_copy']:.2f} of COPY speed"),
            ("upsert (same rows)", upsert_s, f"upsert_vs_copy {figures['upsert_vs_copy']:.2f} (target >= 0.6)"),
            ("upsert (all changed)", upsert_changed_s, f"{figures['upsert_changed_vs_copy']:.2f} of COPY speed")]
    for label, seconds, note in rows:
        print(f"  {label:<25}{seconds:7.2f} s  {note}")
    return figures
