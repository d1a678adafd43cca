"""minute_bars, the minute schedule and gap repair against the simulator on a fixed clock."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import psycopg
import pytest

from kis_platform.calendar import KST
from kis_platform.defs.intraday.assets import minute_bars
from kis_platform.defs.intraday.schedules import every_session_minute, missing_minutes, repair_missed_minutes
from kis_platform.defs.partitions import SESSION_MINUTES
from kis_platform.defs.resources import build_resources
from kis_platform.settings import get_settings

KEYS = [f"2026-11-20-10:{m:02d}" for m in range(0, 6)]


@pytest.fixture
def minute_platform(platform: str, sim, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch) -> str:
    """The platform following the simulator's clock, fixed at 10:06:30 on 2026-11-20 (bars up to 10:05 closed)."""
    sim.set_clock("fixed", "2026-11-20T10:06:30+09:00")
    monkeypatch.setenv("KIS_PLATFORM_CLOCK", "simulator")
    get_settings.cache_clear()
    instance.add_dynamic_partitions(SESSION_MINUTES.name, KEYS + ["2026-11-20-10:06"])
    yield platform
    sim.set_clock("real")
    get_settings.cache_clear()


def _materialize(instance: dg.DagsterInstance, key: str) -> dg.ExecuteInJobResult:
    return dg.materialize([minute_bars], instance=instance, resources=build_resources(), partition_key=key)


def _bars(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT symbol, bar_start, open, high, low, close, volume, turnover_krw, source "
                            "FROM minute_bars ORDER BY 1, 2").fetchall()


def test_minute_partition_stores_closed_bars_once(minute_platform: str, instance, sim) -> None:
    result = _materialize(instance, "2026-11-20-10:05")
    assert result.success
    rows = _bars(minute_platform)
    at_1005 = [r for r in rows if r[1] == datetime(2026, 11, 20, 10, 5, tzinfo=KST)]
    assert len(at_1005) == 50 and all(r[8] == "SIM_KIS" for r in at_1005)
    assert max(r[1] for r in rows) == datetime(2026, 11, 20, 10, 5, tzinfo=KST)  # 10:06 is forming: not stored
    assert min(r[1] for r in rows) == datetime(2026, 11, 20, 9, 37, tzinfo=KST)  # page back fills 29 earlier minutes
    assert all(r[3] >= max(r[2], r[5]) and r[4] <= min(r[2], r[5]) and r[7] > 0 for r in rows)
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["missing_symbols"].value == 0 and meta["symbols"].value == 50
    assert _materialize(instance, "2026-11-20-10:05").success
    assert _bars(minute_platform) == rows  # rerun: same rows, no duplicates


@pytest.fixture
def system_clock(minute_platform: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The cron schedule drives minutes on the system clock (in production)."""
    monkeypatch.setenv("KIS_PLATFORM_CLOCK", "system")
    get_settings.cache_clear()
    return minute_platform


def test_schedule_requests_the_minute_that_just_closed(system_clock: str, instance) -> None:
    from kis_platform.definitions import defs

    repo = defs.get_repository_def()
    tick = every_session_minute.evaluate_tick(dg.build_schedule_context(
        instance=instance, repository_def=repo,
        scheduled_execution_time=datetime(2026, 11, 20, 10, 6, 0, 1000, tzinfo=KST)))
    assert [r.partition_key for r in tick.run_requests] == ["2026-11-20-10:05"]
    night = every_session_minute.evaluate_tick(dg.build_schedule_context(
        instance=instance, repository_def=repo, scheduled_execution_time=datetime(2026, 11, 20, 16, 5, tzinfo=KST)))
    assert not night.run_requests and "not a session minute" in night.skip_message


def test_repair_finds_missed_minutes_after_collection_started(minute_platform: str, instance) -> None:
    assert missing_minutes(instance, datetime(2026, 11, 20, 10, 9, tzinfo=KST)) == []  # nothing collected yet
    assert _materialize(instance, "2026-11-20-10:01").success
    missed = missing_minutes(instance, datetime(2026, 11, 20, 10, 9, tzinfo=KST))
    assert missed == ["2026-11-20-10:06", "2026-11-20-10:05", "2026-11-20-10:04", "2026-11-20-10:03",
                      "2026-11-20-10:02"]
    from kis_platform.definitions import defs

    context = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    # the daemon evaluates sensors with the instance as the partition store; the test harness needs it said
    from dagster._core.definitions.partitions.context import partition_loading_context

    with partition_loading_context(dynamic_partitions_store=instance):
        result = repair_missed_minutes.evaluate_tick(context)
    # the sensor asks the platform clock (the simulator's, fixed at 10:06:30): minutes up to 10:03 are due
    assert {r.partition_key for r in result.run_requests} == {"2026-11-20-10:02", "2026-11-20-10:03"}
    assert all(r.tags["kis_platform/trigger"] == "repair" for r in result.run_requests)


def test_simulated_clock_sensor_requests_the_closed_minute(minute_platform: str, instance) -> None:
    from dagster._core.definitions.partitions.context import partition_loading_context

    from kis_platform.definitions import defs
    from kis_platform.defs.intraday.schedules import every_simulated_minute

    context = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    with partition_loading_context(dynamic_partitions_store=instance):
        result = every_simulated_minute.evaluate_tick(context)  # simulator clock fixed at 10:06:30
    assert [r.run_key for r in result.run_requests] == ["2026-11-20-10:05"]
    skipped = every_session_minute.evaluate_tick(dg.build_schedule_context(
        instance=instance, repository_def=defs.get_repository_def(),
        scheduled_execution_time=datetime(2026, 11, 20, 10, 6, tzinfo=KST)))
    assert not skipped.run_requests and "every_simulated_minute" in skipped.skip_message


def test_after_close_tick_collects_the_futures_tail(system_clock: str, instance) -> None:
    from kis_platform.definitions import defs

    instance.add_dynamic_partitions(SESSION_MINUTES.name, ["2026-11-20-15:30"])
    tick = every_session_minute.evaluate_tick(dg.build_schedule_context(
        instance=instance, repository_def=defs.get_repository_def(),
        scheduled_execution_time=datetime(2026, 11, 20, 15, 46, tzinfo=KST)))
    (request,) = tick.run_requests
    assert request.partition_key == "2026-11-20-15:30" and request.run_key == "2026-11-20-15:30-after-close"
    assert request.asset_selection == [dg.AssetKey("futures_minute_bars")]
