"""What the end-to-end benchmarks share: a simulator process and the real platform (`kis-platform up`) following
its clock, each in a fresh home, and Dagster's instance of that platform."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from kis_platform.simulator.server import wait_ready
from kis_platform.storage.embedded import free_port

BIN = Path(sys.executable).parent
LOCATION = "kis_platform"  # the code location's name in workspace.yaml


def launch_job(ui_port: int, job: str, partition: str, run_config: dict | None = None) -> str:
    """Launch `job` for `partition` through the UI's GraphQL API, as a person does; returns the run id. The
    launchpad fills in the job's default config; this API does not, so `run_config` must say it (a job defined
    with `config=` has it as `job.config`)."""
    from dagster_graphql import DagsterGraphQLClient

    client = DagsterGraphQLClient("127.0.0.1", port_number=ui_port, timeout=60)
    return client.submit_job_execution(job, repository_location_name=LOCATION, repository_name="__repository__",
                                       run_config=run_config or {}, tags={"dagster/partition": partition})


def wait_log(path: Path, text: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"process exited: {path.read_text(errors='replace')[-2000:]}")
        time.sleep(1)
    raise TimeoutError(f"{text!r} not seen in {path} after {seconds} s")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Platform:
    """A running simulator and platform: where they live and how to reach them."""

    home: Path
    sim_url: str
    ui_port: int
    pg_port: int
    up: subprocess.Popen
    up_log: Path

    def sim(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict:
        """Call the simulator's admin API (/__sim/...)."""
        reply = httpx.request(method, f"{self.sim_url}/__sim/{path}", json=body, timeout=10)
        reply.raise_for_status()
        return reply.json()

    def check_alive(self) -> None:
        if self.up.poll() is not None:
            raise RuntimeError(f"kis-platform up exited: {self.up_log.read_text(errors='replace')[-2000:]}")

    def market_env(self) -> dict[str, str]:
        """The environment under which this process reads the platform's settings (same home, same sources)."""
        return {"KIS_ENV": "sim", "KIS_PLATFORM_HOME": str(self.home), "KIS_BASE_URL": self.sim_url,
                "KRX_BASE_URL": self.sim_url, "KIS_MASTER_URL": f"{self.sim_url}/common/master",
                "KIS_PLATFORM_PG_PORT": str(self.pg_port)}

    def dagster_instance(self) -> Any:
        """Dagster's instance of the running platform (its PostgreSQL storage)."""
        password = (self.home / "postgres" / "superuser.password").read_text().strip()
        os.environ["KIS_DAGSTER_PG_URL"] = (f"postgresql+psycopg2://postgres:{password}@127.0.0.1:{self.pg_port}"
                                            "/kis_dagster")
        os.environ["DAGSTER_HOME"] = str(self.home / "dagster")
        import dagster as dg

        return dg.DagsterInstance.get()


@contextlib.contextmanager
def running_platform(sim_args: list[str], prefix: str, extra_env: dict[str, str] | None = None) -> Iterator[Platform]:
    """Start a simulator (`kis-platform simulator` with `sim_args`) and `kis-platform up --no-simulator` following
    its clock in a new home; stop both (Ctrl-C for the platform) on exit."""
    home = Path(tempfile.mkdtemp(prefix=prefix))
    ui, pg, sim_port = free_port(3300), free_port(56600), free_port(18300)
    sim_log, up_log = home / "simulator.log", home / "up.log"
    sim = subprocess.Popen([str(BIN / "kis-platform"), "simulator", "--port", str(sim_port), *sim_args],
                           stdout=sim_log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{sim_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIS_", "DATABASE_URL", "DAGSTER_", "KRX_"))}
    env.update(KIS_ENV="sim", KIS_PLATFORM_CLOCK="simulator", KIS_PLATFORM_HOME=str(home), KIS_BASE_URL=base,
               KRX_BASE_URL=base, KIS_MASTER_URL=f"{base}/common/master", KIS_PLATFORM_UI_PORT=str(ui),
               KIS_PLATFORM_PG_PORT=str(pg), KIS_SIM_PORT=str(sim_port), **(extra_env or {}))
    up = None
    try:
        wait_ready(base)
        up = subprocess.Popen([str(BIN / "kis-platform"), "up", "--no-simulator"], env=env, stdout=up_log.open("wb"),
                              stderr=subprocess.STDOUT)
        wait_log(up_log, "Dagster UI:", up, 300)
        yield Platform(home, base, ui, pg, up, up_log)
    finally:
        if up is not None and up.poll() is None:
            up.send_signal(signal.SIGINT)
            up.wait(timeout=120)
        sim.terminate()
        sim.wait(timeout=30)
