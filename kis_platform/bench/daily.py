"""`kis-platform bench daily`: a backfill of the last N trading days (default 90) of the daily data sets against the
simulator, as the UI's one-action backfill runs it: stock_master per day, daily_bars and investor_flows as one
run over the whole range. Reports rows, symbols, check results and whether re-running a partition changes rows.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from kis_platform.storage.embedded import EmbeddedPostgres, free_port


def run(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="kis-platform bench daily")
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="kis-bench-daily-"))
    server = EmbeddedPostgres(root / "pg", free_port(56800)).start()
    from kis_platform.simulator import SimConfig, run_in_thread

    with run_in_thread(SimConfig()) as sim:
        try:
            return _backfill(server, sim.base_url, root, args.days)
        finally:
            server.stop("immediate")


def _backfill(server: EmbeddedPostgres, base: str, root: Path, days: int) -> dict:
    from kis_platform.storage.database import create_database_if_missing
    from kis_platform.storage.migrations import upgrade

    create_database_if_missing(server.dsn(), "market")
    dsn = server.dsn("market")
    upgrade(dsn)
    os.environ.update(KIS_ENV="sim", KIS_PLATFORM_HOME=str(root / "home"), DATABASE_URL=dsn, KIS_BASE_URL=base,
                      KRX_BASE_URL=base, KIS_MASTER_URL=f"{base}/common/master")
    import dagster as dg
    import psycopg

    from kis_platform.defs.daily.assets import daily_bars
    from kis_platform.defs.flows.assets import investor_flows
    from kis_platform.defs.master.assets import stock_master, trading_calendar
    from kis_platform.defs.partitions import TRADING_DAYS
    from kis_platform.defs.resources import build_resources
    from kis_platform.settings import get_settings

    get_settings.cache_clear()
    resources = build_resources()
    timings = {}
    with dg.instance_for_test() as instance:
        t = time.perf_counter()
        cal = dg.materialize([trading_calendar], instance=instance, resources=resources, run_config={
            "ops": {"trading_calendar": {"config": {"history_days": int(days * 1.6) + 10, "minute_history_days": 0}}}})
        keys = sorted(instance.get_dynamic_partitions(TRADING_DAYS.name))[-days - 1:-1]  # last N complete days
        tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
        timings["calendar_s"] = time.perf_counter() - t
        t = time.perf_counter()
        master_ok = all(dg.materialize([stock_master], instance=instance, resources=resources, partition_key=k).success
                        for k in keys)
        timings["stock_master_s"] = time.perf_counter() - t
        t = time.perf_counter()
        bars = dg.materialize([daily_bars], instance=instance, resources=resources, tags=tags, raise_on_error=False)
        timings["daily_bars_s"] = time.perf_counter() - t
        t = time.perf_counter()
        flows = dg.materialize([investor_flows], instance=instance, resources=resources, tags=tags, raise_on_error=False)
        timings["investor_flows_s"] = time.perf_counter() - t
        checks = {f"{e.asset_key.to_user_string()}.{e.check_name}": e.passed
                  for r in (cal, bars, flows) for e in r.get_asset_check_evaluations()}
        with psycopg.connect(dsn) as conn:
            def snapshot() -> list:
                return conn.execute("SELECT symbol, trade_date, source, adjusted, open, high, low, close, volume "
                                    "FROM daily_bars WHERE trade_date = %s ORDER BY 1, 3, 4", (keys[45 % len(keys)],)).fetchall()

            counts = dict(conn.execute("SELECT source || CASE WHEN adjusted THEN '_adjusted' ELSE '' END, "
                                       "count(DISTINCT symbol) FROM daily_bars GROUP BY 1").fetchall())
            rows = conn.execute("SELECT count(*) FROM daily_bars").fetchone()[0]
            before = snapshot()
            rerun_key = keys[45 % len(keys)]
            dg.materialize([daily_bars], instance=instance, resources=resources, partition_key=rerun_key)
            identical = snapshot() == before
    figures = {
        "trading_days": len(keys), "first_day": keys[0], "last_day": keys[-1], "daily_bar_rows": rows,
        "krx_symbols": counts.get("SIM_KRX", 0), "kis_symbols_raw": counts.get("SIM_KIS", 0),
        "kis_symbols_adjusted": counts.get("SIM_KIS_adjusted", 0), "stock_master_ok": master_ok,
        "daily_bars_ok": bars.success, "investor_flows_ok": flows.success, "checks_passed": all(checks.values()),
        "checks": checks, "rerun_identical": identical, **{k: round(v, 1) for k, v in timings.items()},
    }
    print(f"{len(keys)} trading days {keys[0]}..{keys[-1]}: {rows:,} daily bar rows, KRX {figures['krx_symbols']} "
          f"symbols, KIS {figures['kis_symbols_raw']} raw / {figures['kis_symbols_adjusted']} adjusted; checks "
          f"{'all passed' if figures['checks_passed'] else checks}; rerun identical: {identical}; "
          + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    return figures
