"""The stage every fault scenario plays on: a simulator process, the market database on its own embedded
PostgreSQL server (so a scenario can restart it without touching Dagster's storage), a second server for
Dagster's storage, and the environment that points the platform at them."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from kis_platform.simulator import start_process, wait_ready
from kis_platform.storage.embedded import (
    EmbeddedPostgres,
    EmbeddedPostgresError,
    free_port,
)

SEED = 20261120  # the simulator's default seed; the reference market is built from the same one
PLATFORM_VARS = ("KIS_", "DATABASE_URL", "DAGSTER_", "KRX_")


def _server(root: Path, start: int) -> EmbeddedPostgres:
    for _attempt in range(5):  # another process may take the port between the check and the start
        try:
            return EmbeddedPostgres(root=root, port=free_port(start)).start()
        except EmbeddedPostgresError:
            continue
    raise RuntimeError(f"could not start an embedded PostgreSQL server under {root}")


@dataclass
class Simulator:
    """The simulator as a separate OS process, driven through its admin API."""

    base_url: str
    process: subprocess.Popen

    def admin(self, method: str, path: str, body: Any = None) -> dict:
        reply = httpx.request(method, f"{self.base_url}/__sim/{path}", json=body, timeout=10)
        reply.raise_for_status()
        return reply.json()

    def set_faults(self, **faults: Any) -> dict:
        return self.admin("POST", "faults", faults)

    def clear_faults(self) -> dict:
        """No faults, and the fault generator back at its seed (so a scenario draws the same faults every run)."""
        return self.admin("POST", "faults/clear")

    def fixed(self, at: datetime) -> None:
        self.admin("POST", "clock", {"mode": "fixed", "now": at.isoformat()})

    def accelerated(self, start: datetime, speed: float) -> None:
        self.admin("POST", "clock", {"mode": "accelerated", "start": start.isoformat(), "speed": speed})

    def now(self) -> datetime:
        return datetime.fromisoformat(self.admin("GET", "now")["now"])

    def stats(self) -> dict:
        return self.admin("GET", "stats")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


@dataclass
class Stage:
    """Everything the scenarios share. `env` is the platform's environment (sim mode, following the
    simulator's clock, market data in `market`, Dagster storage in `dagster_pg`)."""

    home: Path
    sim: Simulator
    market: EmbeddedPostgres
    dagster_pg: EmbeddedPostgres
    symbols: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def market_dsn(self) -> str:
        return self.market.dsn("kis_market")

    @property
    def dagster_dsn(self) -> str:
        return self.dagster_pg.dsn("kis_dagster")


def _create_db(server: EmbeddedPostgres, name: str) -> None:
    from kis_platform.storage.database import create_database_if_missing

    create_database_if_missing(server.dsn(), name)


@contextlib.contextmanager
def stage(symbols: tuple[str, ...], start: datetime, home: Path | None = None) -> Iterator[Stage]:
    """Start the simulator (clock fixed at `start`) and both database servers; stop them afterwards."""
    from kis_platform.storage.database import dagster_storage_url
    from kis_platform.storage.migrations import upgrade

    own_home = home is None
    home = Path(tempfile.mkdtemp(prefix="kis-faults-")) if home is None else home
    sim_port = free_port(18500)
    proc = start_process(sim_port, "--clock", "fixed", "--start", start.isoformat(), "--seed", str(SEED))
    sim = Simulator(f"http://127.0.0.1:{sim_port}", proc)
    servers: list[EmbeddedPostgres] = []
    try:
        wait_ready(sim.base_url)
        servers.append(_server(home / "market-pg", 56100))
        servers.append(_server(home / "dagster-pg", 56900))
        market, dagster_pg = servers
        _create_db(market, "kis_market")
        _create_db(dagster_pg, "kis_dagster")
        upgrade(market.dsn("kis_market"))
        st = Stage(home, sim, market, dagster_pg, symbols)
        st.env = {
            "KIS_ENV": "sim", "KIS_PLATFORM_HOME": str(home / "platform"), "KIS_PLATFORM_CLOCK": "simulator",
            "KIS_BASE_URL": sim.base_url, "KRX_BASE_URL": sim.base_url,
            "KIS_MASTER_URL": f"{sim.base_url}/common/master", "KIS_SIM_PORT": str(sim_port),
            "KIS_SYMBOLS": ",".join(symbols), "DATABASE_URL": st.market_dsn,
            "DAGSTER_DATABASE_URL": st.dagster_dsn, "KIS_DAGSTER_PG_URL": dagster_storage_url(st.dagster_dsn),
            "DAGSTER_HOME": str(home / "dagster"),
        }
        yield st
    finally:
        sim.stop()
        for server in servers:
            server.stop("immediate")
        if own_home:
            shutil.rmtree(home, ignore_errors=True)


@contextlib.contextmanager
def platform_env(env: dict[str, str]) -> Iterator[None]:
    """This process configured as the platform (for runs executed in-process); restored afterwards."""
    from kis_platform.settings import get_settings

    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith(PLATFORM_VARS):
            del os.environ[name]
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
        get_settings.cache_clear()
