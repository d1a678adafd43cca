"""Fault scenarios (issue #9): each module plays on its own stage (simulator process, market database on its
own embedded server, Dagster storage on another), measured against the simulator's seeded market."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from kis_platform.bench.faults.reference import Reference
from kis_platform.bench.faults.stage import SEED, Stage, stage
from kis_platform.calendar import KST

SYMBOLS = ("005930", "000660", "373220", "207940", "005380")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: starts the real platform (webserver and daemon); minutes, not seconds")


@pytest.fixture(scope="module")
def reference() -> Reference:
    return Reference(SEED)


def make_stage(start: datetime) -> Iterator[Stage]:
    with stage(SYMBOLS, start) as st:
        yield st


@pytest.fixture(scope="module")
def source_stage() -> Iterator[Stage]:
    yield from make_stage(datetime(2026, 11, 18, 9, 0, 5, tzinfo=KST))
