"""Source faults inside a run: each scenario runs minute_bars partitions with the simulator misbehaving, and
the platform's client must leave every partition complete, with no duplicate or altered row, while the fault
shows in what the platform records (retries, refused tokens in the landing zone, extra page requests)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import dagster as dg
import psycopg
import pytest

from kis_platform.bench.faults.source import (
    SCENARIOS,
    SourceScenario,
    minute_keys,
    run_source_scenario,
    warm_tokens,
)
from kis_platform.bench.faults.stage import Stage
from kis_platform.bench.faults.tally import Tally
from kis_platform.defs.partitions import minute_key, parse_minute_key

FIRST = "2026-11-18-09:31"  # from 09:30 a page back is a full page of 30 bars (the truncated-page fault needs one)
PER_SCENARIO = 2


@pytest.fixture(scope="module")
def source_instance(source_stage: Stage) -> Iterator[dg.DagsterInstance]:
    warm_tokens(source_stage)  # hours-old tokens in production: see source.EXPIRY_KEY
    with dg.instance_for_test() as instance:
        yield instance


@pytest.fixture(scope="module")
def baseline_requests(source_stage: Stage, source_instance: dg.DagsterInstance, reference) -> int:
    """Client requests of the same partitions without a fault (for the truncated-page scenario)."""
    tally = run_source_scenario(source_stage, reference, source_instance, SourceScenario("no fault", {}),
                                _keys(-1))
    assert tally.ok, tally
    return tally.counters["requests"]


def _keys(index: int) -> list[str]:
    first = parse_minute_key(FIRST) + timedelta(minutes=(index + 1) * (PER_SCENARIO + 1))
    return minute_keys(minute_key(first), PER_SCENARIO)


def _landed_errors(dsn: str, code: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM raw_responses WHERE body LIKE %s", (f'%"{code}"%',)).fetchone()[0]


@pytest.mark.parametrize("index", range(len(SCENARIOS)), ids=[s.name for s in SCENARIOS])
def test_source_fault_leaves_complete_partitions(index: int, source_stage: Stage, source_instance, reference,
                                                 baseline_requests: int) -> None:
    scenario = SCENARIOS[index]
    tally: Tally = run_source_scenario(source_stage, reference, source_instance, scenario, _keys(index))
    assert tally.rows_expected == PER_SCENARIO * 5, tally  # every watch-list symbol trades in these minutes
    assert (tally.rows_missing, tally.rows_duplicated, tally.partial_partitions, tally.unmaterialized) == (0, 0, 0, 0), \
        tally
    assert not tally.broken, tally.broken  # the fault fired
    counters = tally.counters
    assert counters["runs_failed"] == 0, tally.notes
    if scenario.evidence == "retries":
        assert counters["retries"] > 0, tally.visible
    elif scenario.evidence == "requests":  # short pages cost extra page requests, nothing else
        assert counters["requests"] > baseline_requests, tally.visible
    elif scenario.evidence == "token":
        code = "EGW00123" if "expire" in scenario.expect_fault else "EGW00121"
        assert _landed_errors(source_stage.market_dsn, code) > 0  # the refusal is kept in the landing zone
        assert counters["tokens_issued"] == 1, tally.visible
