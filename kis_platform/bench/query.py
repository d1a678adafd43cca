"""Query benchmark: analyst reads into pandas through `kis_platform.query`.

`run([])` writes one year of one-minute bars for a reserved symbol (ZZBNCH, source SIM_KIS) into minute_bars,
reads it back, and removes it again. Reported (median of --repeat reads, warm cache):

* year_minutes_ms: `query.bars(symbol, year, interval="1m")`, 99,060 rows into a DataFrame (target < 150 ms);
* month_5m_ms: `query.bars(symbol, one month, interval="5m")` (target < 50 ms).

The year is written in one go, so its rows lie together in the heap (~2,100 pages). Minute-by-minute upserts
(the intraday job) lay each minute of every symbol down together instead; `--interleave N` writes N more
reserved symbols (ZZBN01…) in that order, to measure reads of such a scattered year.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any

import numpy as np
import pandas as pd
import psycopg

from kis_platform import query
from kis_platform.bench._common import (
    KST,
    add_dsn_argument,
    market_database,
    synthetic_minute_bars,
)
from kis_platform.storage.pool import close_pools
from kis_platform.storage.writer import MarketWriter

SYMBOL = "ZZBNCH"


def _median_ms(fn: Any, repeat: int) -> tuple[float, float, int]:
    """Median wall time and median CPU time of this process (the client side), in ms, and the row count.
    The CPU figure stays meaningful on a busy machine, where wall time also measures the neighbours."""
    fn()  # warm the cache and the connection
    walls, cpus, rows = [], [], 0
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        rows = len(fn())
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus), rows


def run(argv: list[str]) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="kis-platform bench query", description=__doc__.splitlines()[0])
    add_dsn_argument(parser)
    parser.add_argument("--repeat", type=int, default=9, help="timed reads per figure (median reported)")
    parser.add_argument("--interleave", type=int, default=0,
                        help="other reserved symbols written minute by minute alongside (default 0: none)")
    args = parser.parse_args(argv)

    days = pd.bdate_range("2024-01-02", "2024-12-30")
    symbols = [SYMBOL, *(f"ZZBN{i:02d}" for i in range(1, args.interleave + 1))]
    df = synthetic_minute_bars(len(symbols), days, seed=3)
    df["symbol"] = np.repeat(symbols, len(df) // len(symbols))
    df = df.sort_values(["bar_start", "symbol"], kind="stable", ignore_index=True)
    start, end = pd.Timestamp("2024-01-01", tz=KST), pd.Timestamp("2025-01-01", tz=KST)
    with market_database(args.dsn) as dsn:
        writer = MarketWriter(dsn)
        try:
            writer.replace_window("minute_bars", df, "bar_start", start, end, extra_filter={"symbol": symbols})
            with psycopg.connect(dsn, autocommit=True) as conn:
                conn.execute("ANALYZE minute_bars")
                conn.execute("ANALYZE minute_bars_5m")
            year_ms, year_cpu, year_rows = _median_ms(
                lambda: query.bars(SYMBOL, "2024-01-01", "2024-12-31", interval="1m", dsn=dsn), args.repeat)
            month_ms, month_cpu, month_rows = _median_ms(
                lambda: query.bars(SYMBOL, "2024-06-01", "2024-06-30", interval="5m", dsn=dsn), args.repeat)
        finally:
            writer.replace_window("minute_bars", df.iloc[:0], "bar_start", start, end,
                                  extra_filter={"symbol": symbols})
            close_pools()
            for conn in query._connections.values():
                conn.close()
            query._connections.clear()

    figures = {"interleaved_symbols": args.interleave,
               "year_minutes_ms": round(year_ms, 1), "year_minutes_client_cpu_ms": round(year_cpu, 1),
               "year_minutes_rows": year_rows, "month_5m_ms": round(month_ms, 1),
               "month_5m_client_cpu_ms": round(month_cpu, 1), "month_5m_rows": month_rows,
               "load_average_1m": round(os.getloadavg()[0], 2)}
    print(f"query benchmark: one symbol, {len(days)} sessions ({args.interleave} other symbols interleaved), "
          f"median of {args.repeat} warm reads")
    print(f"  1-minute bars, one year   {year_ms:7.1f} ms  (client CPU {year_cpu:.0f} ms)  {year_rows:>7,} rows"
          "  (target < 150 ms)")
    print(f"  5-minute bars, one month  {month_ms:7.1f} ms  (client CPU {month_cpu:.0f} ms)  {month_rows:>7,} rows"
          "  (target < 50 ms)")
    print(f"  load average during the run: {figures['load_average_1m']} on {os.cpu_count()} CPUs")
    return figures
