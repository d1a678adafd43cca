"""`kis-platform up`: the database, migrations, the simulator (sim mode), the Dagster webserver and daemon.

Each child runs in its own process group; on Ctrl-C (or SIGTERM) every process started here, and every
descendant of those (code servers, run workers), is stopped, and the embedded server too if it was started here.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from kis_platform.settings import REPO_ROOT, Settings
from kis_platform.storage.admin import migrate
from kis_platform.storage.database import dagster_storage_url, ensure_database
from kis_platform.storage.embedded import free_port, port_is_free, unwritable_reason

BIN = Path(sys.executable).parent


class LaunchError(RuntimeError):
    """The platform cannot start; the message says what to change."""


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Supervisor:
    """Children started by `up`, stopped together."""

    logs: Path
    env: dict[str, str]
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, cmd: list[str]) -> Child:
        log = self.logs / f"{name}.log"
        handle = log.open("ab")
        process = subprocess.Popen(cmd, env=self.env, stdout=handle, stderr=subprocess.STDOUT,
                                   stdin=subprocess.DEVNULL, start_new_session=True, cwd=REPO_ROOT)
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def dead(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)

    def stop_all(self, timeout: float = 20) -> None:
        victims: list[psutil.Process] = []
        for child in reversed(self.children):
            try:
                root = psutil.Process(child.process.pid)
                victims += [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                pass
            try:
                os.killpg(child.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for proc in victims:
            try:
                proc.terminate()
            except psutil.NoSuchProcess:
                pass
        _, alive = psutil.wait_procs(victims, timeout=timeout)
        for proc in alive:
            try:
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(alive, timeout=5)
        for child in self.children:
            if child.process.poll() is None:
                child.process.wait(timeout=5)


def _tail(path: Path, lines: int = 5) -> str:
    try:
        return " | ".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def check_preconditions(settings: Settings, with_simulator: bool = True) -> None:
    if (reason := unwritable_reason(settings.home)) is not None:
        raise LaunchError(f"KIS_PLATFORM_HOME={settings.home} is not writable ({reason}); point it at a writable directory")
    if not port_is_free(settings.ui_port, settings.ui_host):
        raise LaunchError(
            f"port {settings.ui_port} on {settings.ui_host} is in use; stop the program using it or set KIS_PLATFORM_UI_PORT"
        )
    if settings.is_sim and with_simulator and not port_is_free(settings.sim_port):
        raise LaunchError(f"simulator port {settings.sim_port} is in use; set KIS_SIM_PORT to a free port")


def prepare_dagster_home(settings: Settings) -> Path:
    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return home


def start_code_server(supervisor: Supervisor, dagster_home: Path, seconds: float = 180) -> Path:
    """The code location served by `kis_platform.code_server` (warm run workers) on a free loopback port; returns
    the workspace file that points the webserver and the daemon at it. The code server binds its port only once the
    definitions loaded, so a definitions error stops here with the code server's own message."""
    from kis_platform.code_server import LOCATION_NAME

    port = free_port(14000)
    child = supervisor.start("code-server", [str(BIN / "python"), "-m", "kis_platform.code_server",
                                             "--host", "127.0.0.1", "--port", str(port)])
    _wait_until(lambda: not port_is_free(port), child, f"listen on port {port}", seconds)
    workspace = dagster_home / "workspace.yaml"
    workspace.write_text("# Written by kis-platform up: the code server it started (kis_platform.code_server).\n"
                         f"load_from:\n  - grpc_server: {{host: 127.0.0.1, port: {port}, location_name: {LOCATION_NAME}}}\n")
    return workspace


def _wait_until(ready: Callable[[], bool], child: Child, what: str, seconds: float) -> None:
    """Until `ready()`; a child that exits first, or a timeout, stops the start-up with the tail of its log."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if child.process.poll() is not None:
            raise LaunchError(f"{child.name} exited during start-up: {_tail(child.log)} (log: {child.log})")
        if ready():
            return
        time.sleep(0.3)
    raise LaunchError(f"{child.name} did not {what} within {seconds:.0f} s (log: {child.log})")


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code < 500
    except httpx.HTTPError:
        return False


def _wait_http(url: str, child: Child, seconds: float) -> None:
    _wait_until(lambda: _answers(url), child, f"answer at {url}", seconds)


_LOCATIONS_QUERY = """{ workspaceOrError { __typename ... on Workspace { locationEntries { name
  locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def code_locations(ui_url: str) -> dict[str, str | None]:
    """Each code location the webserver knows, with its load error (None when it loaded)."""
    reply = httpx.post(f"{ui_url}/graphql", json={"query": _LOCATIONS_QUERY}, timeout=30).json()
    entries = reply["data"]["workspaceOrError"].get("locationEntries", [])
    result: dict[str, str | None] = {}
    for entry in entries:
        loaded = entry["locationOrLoadError"] or {}
        result[entry["name"]] = loaded.get("message") if loaded.get("__typename") == "PythonError" else None
    return result


def _simulator_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("kis_platform.simulator.cli") is not None


def run_platform(settings: Settings, with_simulator: bool = True) -> int:
    check_preconditions(settings, with_simulator)
    runtime = ensure_database(settings)
    try:
        path, applied = migrate(settings, runtime)
        print(f"database: {runtime.description}; storage path: {path}; {len(applied)} migration(s) applied")
        env = dict(os.environ, DAGSTER_HOME=str(prepare_dagster_home(settings)),
                   KIS_DAGSTER_PG_URL=dagster_storage_url(runtime.dagster_dsn), KIS_PLATFORM_HOME=str(settings.home))
        logs = settings.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        supervisor = Supervisor(logs, env)
        return _serve(settings, supervisor, with_simulator)
    finally:
        runtime.stop()
        if runtime.server is not None and runtime.server.started_here:
            print("embedded PostgreSQL stopped")


def _serve(settings: Settings, supervisor: Supervisor, with_simulator: bool) -> int:
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if settings.is_sim and with_simulator:
            if _simulator_available():
                sim = supervisor.start("simulator", [str(BIN / "kis-platform"), "simulator", "--port", str(settings.sim_port)])
                _wait_http(f"http://127.0.0.1:{settings.sim_port}/__sim/now", sim, 30)
                print(f"simulator: KIS and KRX APIs at http://127.0.0.1:{settings.sim_port}")
            else:
                print("simulator: not available yet in this version; sim-mode assets will fail to reach the source")
        workspace = str(start_code_server(supervisor, settings.dagster_home))
        web = supervisor.start("webserver", [str(BIN / "dagster-webserver"), "-h", settings.ui_host,
                                             "-p", str(settings.ui_port), "-w", workspace])
        supervisor.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", workspace])
        url = f"http://{settings.ui_host}:{settings.ui_port}"
        _wait_http(f"{url}/server_info", web, 120)
        for name, error in code_locations(url).items():
            first = error.strip().splitlines()[0] if error else ""
            print(f"code location {name}: " + (f"FAILED to load: {first}" if error else "loaded"), flush=True)
        print(f"Dagster UI: {url}  (logs in {supervisor.logs}; Ctrl-C stops everything)", flush=True)
        while not stopping:
            dead = supervisor.dead()
            if dead is not None:
                print(f"{dead.name} exited unexpectedly: {_tail(dead.log)} (log: {dead.log})", file=sys.stderr)
                return 1
            time.sleep(0.5)
        return 0
    finally:
        print("stopping…", flush=True)
        supervisor.stop_all()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
