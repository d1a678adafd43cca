"""minute_bars, the minute trigger and gap repair against the simulator on a fixed clock."""

from __future__ import annotations

from datetime import date, datetime

import dagster as dg
import psycopg
import pytest

from kis_platform.calendar import KST
from kis_platform.defs.intraday.assets import minute_and_futures_bars
from kis_platform.defs.intraday.futures import cached_futures_master
from kis_platform.defs.intraday.keys import MINUTE_BARS
from kis_platform.defs.intraday.schedules import (
    every_session_minute,
    minute_requests,
    missing_minutes,
    repair_missed_minutes,
)
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


LIVE = {"dagster/sensor_name": "every_session_minute"}  # what the live trigger's runs carry


def _materialize(instance: dg.DagsterInstance, key: str, tags: dict[str, str] | None = None) -> dg.ExecuteInJobResult:
    return dg.materialize([minute_and_futures_bars], selection=[MINUTE_BARS], instance=instance,
                          resources=build_resources(), partition_key=key,
                          tags=tags)


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
    # The step reports the minute's soft checks itself (no check steps of their own in the minute run).
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert sorted(checks) == ["freshness", "minute_volume_spike", "schema_guard", "stale_feed"]
    assert all(e.passed and e.partition == "2026-11-20-10:05" for e in checks.values())
    assert checks["minute_volume_spike"].metadata["rows_checked"].value == 50  # the minute's own bars
    assert checks["freshness"].metadata["lag_seconds"].value == 30  # newest bar 10:05 against now - 1 min, 10:05:30
    assert {s.step_key for s in result.get_step_success_events()} == {"minute_and_futures_bars"}
    assert _materialize(instance, "2026-11-20-10:05").success
    assert _bars(minute_platform) == rows  # rerun: same rows, no duplicates


def test_minute_trigger_launches_ahead_of_the_close(minute_platform: str, instance) -> None:
    at = lambda h, m, sec: datetime(2026, 11, 20, h, m, sec, tzinfo=KST)  # noqa: E731
    keys = lambda now: [r.run_key for r in minute_requests(instance, now, lead_s=25)]  # noqa: E731
    assert keys(at(10, 6, 0)) == ["2026-11-20-10:05"]  # just closed
    assert keys(at(10, 5, 30)) == ["2026-11-20-10:04"]  # 10:05 still 30 s from its close
    assert keys(at(10, 5, 40)) == ["2026-11-20-10:04", "2026-11-20-10:05"]  # within the lead: launched early
    assert keys(at(16, 5, 50)) == []  # not session minutes
    assert keys(datetime(2026, 11, 21, 10, 5, 50, tzinfo=KST)) == []  # a Saturday


def test_minute_sensor_follows_the_platform_clock(minute_platform: str, instance) -> None:
    from dagster._core.definitions.partitions.context import partition_loading_context

    from kis_platform.definitions import defs

    context = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    with partition_loading_context(dynamic_partitions_store=instance):
        result = every_session_minute.evaluate_tick(context)  # simulator clock fixed at 10:06:30, 30 s to close
    assert [r.run_key for r in result.run_requests] == ["2026-11-20-10:05"]
    assert all(r.partition_key == r.run_key for r in result.run_requests)


def test_after_close_tick_collects_the_futures_tail(minute_platform: str, instance) -> None:
    instance.add_dynamic_partitions(SESSION_MINUTES.name, ["2026-11-20-15:30"])
    for second in (0, 30):
        requests = minute_requests(instance, datetime(2026, 11, 20, 15, 46, second, tzinfo=KST), lead_s=25)
        (request,) = requests
        assert request.partition_key == "2026-11-20-15:30" and request.run_key == "2026-11-20-15:30-after-close"
        assert request.asset_selection == [dg.AssetKey("futures_minute_bars")]
    assert minute_requests(instance, datetime(2026, 11, 20, 15, 45, 50, tzinfo=KST), lead_s=25) == []


def test_repair_finds_missed_minutes_after_collection_started(minute_platform: str, instance) -> None:
    assert missing_minutes(instance, datetime(2026, 11, 20, 10, 9, tzinfo=KST)) == []  # nothing collected yet
    assert _materialize(instance, "2026-11-20-10:01", LIVE).success
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


def test_minute_job_reads_the_option_board_before_the_bars(minute_platform: str, instance) -> None:
    """A pre-launched run reaches the minute before the close: the board (live only) is read in the minute's last
    seconds, and the bar assets, which wait for the close, come after it; the matrices (derived) after those."""
    from kis_platform.definitions import defs

    result = defs.get_job_def("intraday_minute_job").execute_in_process(
        instance=instance, partition_key="2026-11-20-10:05", raise_on_error=False)
    started = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_START]
    assert started.index("option_chain_snapshots") < started.index("minute_and_futures_bars"), started
    assert started.index("option_matrices") > started.index("minute_and_futures_bars"), started  # derived: after the bars


def test_repair_selects_the_assets_each_minute_misses(minute_platform: str, instance) -> None:
    from kis_platform.defs.intraday.schedules import repair_requests

    def materialized(asset: str, *minutes: str) -> None:
        for m in minutes:
            instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition=f"2026-11-20-10:{m}"))

    assert _materialize(instance, "2026-11-20-10:00", LIVE).success  # live collection starts at 10:00
    materialized("minute_bars", "01", "02", "03", "04", "05")
    materialized("futures_minute_bars", "00", "02", "05")
    requests = repair_requests(instance, datetime(2026, 11, 20, 10, 7, 30, tzinfo=KST))
    # due: closed more than two minutes ago (up to 10:04); futures missed 10:01, 10:03, 10:04; stock bars none
    assert {r.partition_key: r.asset_selection for r in requests} == {
        k: [dg.AssetKey("futures_minute_bars")] for k in ("2026-11-20-10:01", "2026-11-20-10:03", "2026-11-20-10:04")}
    assert [r.partition_key for r in requests] == ["2026-11-20-10:04", "2026-11-20-10:03", "2026-11-20-10:01"]


def test_a_backfill_is_not_a_gap(minute_platform: str, instance) -> None:
    """Minutes a person materialized by hand before (or without) the live trigger set off no repairs: only
    minutes after the live trigger's first minute are gaps."""
    now = datetime(2026, 11, 20, 10, 9, tzinfo=KST)
    assert _materialize(instance, "2026-11-20-10:00").success  # a backfill of one minute
    assert missing_minutes(instance, now) == []  # no live collection yet
    assert _materialize(instance, "2026-11-20-10:04", LIVE).success  # the live trigger's first minute
    assert missing_minutes(instance, now) == ["2026-11-20-10:06", "2026-11-20-10:05"]


def test_an_accelerated_clock_requests_minutes_further_ahead() -> None:
    """At 4x the 25 s start-up lead spans 100 simulated seconds: the sensor asks for the next two bars."""
    from kis_platform.defs.intraday.schedules import due_minutes

    at = datetime(2026, 11, 20, 10, 5, 30, tzinfo=KST)
    assert [f"{m:%H:%M}" for m in due_minutes(at, 25)] == ["10:04"]
    assert [f"{m:%H:%M}" for m in due_minutes(at, 30)] == ["10:04", "10:05"]
    assert [f"{m:%H:%M}" for m in due_minutes(at, 100)] == ["10:04", "10:05", "10:06"]


def test_closing_call_minute_expects_no_bar_and_does_not_wait_for_one(minute_platform: str, instance, sim) -> None:
    # 15:20-15:29 has no trades: asking again for its bars made every such run late in bench session
    sim.set_clock("fixed", "2026-11-20T15:22:30+09:00")
    instance.add_dynamic_partitions(SESSION_MINUTES.name, ["2026-11-20-15:21"])
    result = _materialize(instance, "2026-11-20-15:21")
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["late_retries"].value == 0 and meta["missing_symbols"].value == 0
    assert meta["kis_requests"].value <= 2 * 50  # one page walk per symbol; a retry round would add 50 more
    rows = _bars(minute_platform)
    assert max(r[1] for r in rows) == datetime(2026, 11, 20, 15, 19, tzinfo=KST)  # the earlier minutes refreshed


def _futures_at(dsn: str, bar: str) -> list[str]:
    with psycopg.connect(dsn) as conn:
        return [r[0] for r in conn.execute("SELECT symbol FROM futures_minute_bars WHERE bar_start = %s ORDER BY 1",
                                           (bar,)).fetchall()]


def test_one_step_writes_both_and_one_failing_part_still_lets_the_other_land(
        minute_platform: str, instance, sim, monkeypatch: pytest.MonkeyPatch) -> None:
    """Watch list and futures share one step (the futures fetched in a thread beside the bars). When the futures
    part fails (here: the futures master cannot be downloaded), the watch list's bars are still written and
    materialized, and the step then fails with the futures' error; the other way round is the same code path."""
    settings = get_settings()
    cache = settings.home / "cache" / f"fo_idx_futures_{settings.kis_env}_20261120.csv"
    cache.unlink(missing_ok=True)
    with monkeypatch.context() as env:
        env.setenv("KIS_MASTER_URL", f"{sim.base_url}/no-such-master")
        get_settings.cache_clear()
        broken = dg.materialize([minute_and_futures_bars], instance=instance, resources=build_resources(),
                                partition_key="2026-11-20-10:05", raise_on_error=False)
    get_settings.cache_clear()
    assert not broken.success
    assert [e.asset_key.path[0] for e in broken.get_asset_materialization_events()] == ["minute_bars"]
    assert len([r for r in _bars(minute_platform) if r[1] == datetime(2026, 11, 20, 10, 5, tzinfo=KST)]) == 50
    assert _futures_at(minute_platform, "2026-11-20 10:05+09") == []
    error = next(e for e in broken.all_events if e.is_step_failure).step_failure_data.error
    assert "master download: HTTP 404" in (error.cause or error).message  # the futures part's error, re-raised

    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("not,a,futures,master\n1,2,3,4\n")  # a cache file of another layout is downloaded again
    both = dg.materialize([minute_and_futures_bars], instance=instance, resources=build_resources(),
                          partition_key="2026-11-20-10:05")
    assert both.success
    assert {e.asset_key.path[0] for e in both.get_asset_materialization_events()} == {"minute_bars",
                                                                                      "futures_minute_bars"}
    assert _futures_at(minute_platform, "2026-11-20 10:05+09") == ["A01612", "A06612"]
    cache.write_bytes(b"")  # an empty (or unparsable) file is downloaded again too
    rows, from_cache = cached_futures_master(get_settings(), date(2026, 11, 20))
    assert not from_cache and set(rows["short_code"]) >= {"A01612", "A06612"}
