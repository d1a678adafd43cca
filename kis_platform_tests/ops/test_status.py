"""`kis-platform status`: what the screen says about fresh, stale and never-run assets, and when nothing is up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import psycopg

from kis_platform.ops.status import KST, age, collect, completeness_by_dataset, render
from kis_platform_tests.foundation.platform_proc import free_port, platform_env, run_cli

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="Asia/Seoul")


@dg.asset(partitions_def=DAYS)
def daily_bars() -> None:
    return None


@dg.asset
def investor_flows() -> None:
    raise RuntimeError("source down")


@dg.asset
def stock_master() -> None:
    return None


def test_status_lists_every_asset_with_freshness_and_completeness(market_db: str) -> None:
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute("""INSERT INTO completeness (dataset, trade_date, symbol, expected_rows, present_rows, reason) VALUES
            ('daily_bars', '2026-01-05', '*', 2500, 2500, 'COMPLETE'),
            ('daily_bars', '2026-01-06', '*', 2500, 2450, 'MISSING'),
            ('investor_flows', '2026-01-06', '005930', 1, 1, 'COMPLETE'),
            ('investor_flows', '2026-01-06', '000660', 1, 0, 'NOT_YET_PUBLISHED')""")
    with dg.instance_for_test() as instance:
        assert dg.materialize([daily_bars], partition_key="2026-01-06", instance=instance).success
        dg.materialize([investor_flows], instance=instance, raise_on_error=False)
        keys = [daily_bars.key, investor_flows.key, stock_master.key]
        rows = collect(instance, keys, completeness_by_dataset(market_db))
    by_name = {r.asset: r for r in rows}
    assert [r.asset for r in rows] == ["daily_bars", "investor_flows", "stock_master"]
    assert by_name["daily_bars"].partition == "2026-01-06" and by_name["daily_bars"].last_run == "SUCCESS"
    assert by_name["daily_bars"].completeness == "98.0% of 01-06"
    assert by_name["investor_flows"].last_at is None and by_name["investor_flows"].last_run == "FAILURE"
    assert by_name["investor_flows"].completeness == "50.0% of 01-06"
    assert by_name["stock_master"].last_run == "-" and by_name["stock_master"].completeness == "-"

    later = by_name["daily_bars"].last_at + dt.timedelta(hours=5, minutes=1)  # type: ignore[operator]
    text = render(rows, later)
    lines = text.splitlines()
    assert lines[1].split() == ["asset", "last", "materialized", "(KST)", "partition", "age", "completeness", "last", "run"]
    assert lines[3].split()[0] == "daily_bars" and "5h" in lines[3].split() and "SUCCESS" in lines[3]
    assert lines[4].split()[:3] == ["investor_flows", "never", "-"] and lines[4].endswith("FAILURE")
    assert lines[5].split() == ["stock_master", "never", "-", "never", "-", "-"]


def test_age_units() -> None:
    now = dt.datetime(2026, 1, 6, 12, tzinfo=KST)
    assert [age(now - dt.timedelta(seconds=s), now) for s in (5, 90, 7200, 3 * 86400)] == ["5s", "2m", "2h", "3d"]
    assert age(None, now) == "never"


def test_cli_says_how_to_start_when_nothing_runs(tmp_path: Path) -> None:
    env = platform_env(tmp_path / "home", KIS_PLATFORM_PG_PORT=str(free_port(56900)))
    result = run_cli(["status"], env)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "start it with `kis-platform up`" in result.stderr
    (tmp_path / "home" / "dagster").mkdir(parents=True)
    (tmp_path / "home" / "dagster" / "dagster.yaml").write_text("")
    result = run_cli(["status"], env)
    assert result.returncode == 1 and "no database under" in result.stderr
    assert result.stderr.count("\n") == 1
