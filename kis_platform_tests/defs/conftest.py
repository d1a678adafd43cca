"""Fixtures for asset tests: the simulator over real HTTP, a migrated market database, a Dagster instance,
and the environment that points the platform at them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from kis_platform.settings import get_settings
from kis_platform.simulator import SimConfig, run_in_thread


@pytest.fixture(scope="session")
def sim() -> Iterator[object]:
    with run_in_thread(SimConfig()) as running:
        yield running


@pytest.fixture(scope="session")
def platform_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One platform home for the session: like a real machine, all runs share the token lease and limiter."""
    return tmp_path_factory.mktemp("platform_home")


@pytest.fixture
def platform(sim, market_db: str, platform_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:  # noqa: ANN001
    """Environment of a sim-mode platform whose sources are the test simulator; yields the market DSN."""
    for name, value in {
        "KIS_ENV": "sim", "KIS_PLATFORM_HOME": str(platform_home), "DATABASE_URL": market_db,
        "KIS_BASE_URL": sim.base_url, "KRX_BASE_URL": sim.base_url, "KIS_MASTER_URL": f"{sim.base_url}/common/master",
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("KIS_APP_KEY", "KIS_APP_SECRET", "KRX_AUTH_KEY", "KIS_SYMBOLS"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield market_db
    get_settings.cache_clear()


@pytest.fixture
def instance() -> Iterator[dg.DagsterInstance]:
    with dg.instance_for_test() as inst:
        yield inst
