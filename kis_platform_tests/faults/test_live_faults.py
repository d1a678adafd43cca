"""Database and process faults against the real platform (webserver and daemon processes, the repository's
dagster.yaml): each fault must show as a failed run with an error naming it, and the platform's own
mechanisms (run retry, repair sensor, token lease) must leave the data complete and unduplicated.

The tests share one live platform and run in file order on one simulated session (2026-11-20 from 09:59);
each leaves the platform idle for the next."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest

from kis_platform.bench.faults import database, process, source_runs
from kis_platform.bench.faults.live import MINUTE_JOB, LivePlatform
from kis_platform.bench.faults.stage import Stage
from kis_platform.bench.faults.tally import Tally
from kis_platform.calendar import KST
from kis_platform_tests.faults.conftest import make_stage

pytestmark = pytest.mark.slow
RETRIED = ("run retry", "retry rescue sensor")  # the rescue when Dagster's retry daemon missed the failure

KEEP_SENSORS = ("every_session_minute", "every_simulated_minute", "repair_missed_minutes", "trading_calendar_daily",
                "rescue_stranded_retries")


@pytest.fixture(scope="module")
def live_stage() -> Iterator[Stage]:
    yield from make_stage(datetime(2026, 11, 20, 10, 0, 5, tzinfo=KST))


@pytest.fixture(scope="module")
def live(live_stage: Stage) -> Iterator[LivePlatform]:
    lp = LivePlatform(live_stage)
    try:
        lp.start(KEEP_SENSORS)
        lp.wait_settled(MINUTE_JOB, ["2026-11-20-09:59"], database.TIMEOUT)  # collection has started
        yield lp
    finally:
        lp.stop()


def _clean(tally: Tally) -> None:
    assert tally.rows_expected > 0, tally
    assert (tally.rows_missing, tally.rows_duplicated, tally.partial_partitions, tally.unmaterialized,
            tally.broken) == (0, 0, 0, 0, ""), tally.as_dict()


@pytest.mark.timeout(1200)
def test_sigkilled_run_worker_is_retried(live: LivePlatform, reference) -> None:
    tally = process.sigkill_mid_partition(live, reference, "2026-11-20-10:00")
    _clean(tally)
    assert "signal 9" in tally.visible or "SIGKILL" in tally.visible.split(";", 1)[1], tally.visible
    assert tally.repaired_by.startswith(RETRIED), tally.as_dict()


@pytest.mark.timeout(1200)
def test_server_restart_mid_write_is_retried(live: LivePlatform, reference) -> None:
    # A daily write here (one run retried); the bench also restarts it under a minute write (repair sensor).
    tally = database.server_restart_mid_daily_write(live, reference, date(2026, 11, 13))
    _clean(tally)
    assert "server closed the connection" in tally.visible or "terminating connection" in tally.visible, tally
    assert tally.repaired_by.startswith(RETRIED), tally.as_dict()


@pytest.mark.timeout(1200)
def test_connection_killed_mid_copy_is_retried(live: LivePlatform, reference) -> None:
    tally = database.connection_killed_mid_copy(live, reference, date(2026, 11, 19))
    _clean(tally)
    assert "COPY" in tally.visible and "terminating connection due to administrator command" in tally.visible, tally
    assert tally.repaired_by.startswith(RETRIED), tally.as_dict()


@pytest.mark.timeout(1200)
def test_same_partition_launched_twice(live: LivePlatform, reference) -> None:
    tally = process.launched_twice(live, reference, date(2026, 11, 18))
    _clean(tally)  # includes: both writes were held together, so the race really ran
    if tally.counters["runs_failed"]:  # the losing write may fail; then it must say why and be retried
        assert "duplicate key" in tally.visible, tally.visible
        assert tally.counters["retries_ok"] == 1, tally.as_dict()


@pytest.mark.timeout(1200)
def test_runs_needing_a_token_in_the_same_minute_share_one(live: LivePlatform, reference) -> None:
    tally = source_runs.token_stampede(live, reference, [date(2026, 11, 16), date(2026, 11, 17)])
    _clean(tally)  # includes: exactly one token issued, no EGW00133
    assert tally.counters["refused"] >= 2, tally.as_dict()  # both runs met the revoked token


@pytest.mark.timeout(1200)
def test_daemon_stopped_mid_session_repairs_missed_minutes(live: LivePlatform, reference) -> None:
    tally = process.daemon_down(live, reference, "2026-11-20-10:01", down_minutes=3, speed=2.0)
    _clean(tally)
    # The minute that closed as the daemon came back is the minute trigger's; the others, the repair sensor's.
    assert tally.counters["repair_sensor"] >= tally.counters["missed"] - 1 and tally.counters["by_hand"] == 0, \
        tally.as_dict()
    assert "(that run: SUCCESS)" in tally.visible, tally.visible  # the run in flight at the stop finished
