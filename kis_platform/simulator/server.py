"""Running the simulator: in a thread of the current process (tests) or as a separate OS process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import uvicorn

from kis_platform.settings import REPO_ROOT
from kis_platform.simulator.app import build_app
from kis_platform.simulator.config import SimConfig
from kis_platform.simulator.state import SimState

__all__ = ["RunningSimulator", "SimConfig", "run_in_thread", "start_process", "wait_ready"]


@dataclass
class RunningSimulator:
    """A simulator serving in a background thread; also a context manager that stops it."""

    base_url: str
    state: SimState
    _server: uvicorn.Server
    _thread: threading.Thread

    def _admin(self, method: str, path: str, json: Any = None) -> dict:
        r = httpx.request(method, f"{self.base_url}/__sim/{path}", json=json, timeout=10)
        r.raise_for_status()
        return r.json()

    def stats(self) -> dict:
        return self._admin("GET", "stats")

    def set_faults(self, **faults: Any) -> dict:
        return self._admin("POST", "faults", faults)

    def clear_faults(self) -> dict:
        return self._admin("POST", "faults/clear")

    def set_clock(self, mode: str, now: datetime | str | None = None, speed: float | None = None) -> dict:
        body: dict[str, Any] = {"mode": mode}
        if now is not None:
            body["now" if mode == "fixed" else "start"] = now.isoformat() if isinstance(now, datetime) else now
        if speed is not None:
            body["speed"] = speed
        return self._admin("POST", "clock", body)

    def reset(self) -> dict:
        return self._admin("POST", "reset")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def run_in_thread(config: SimConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> RunningSimulator:
    """Start a simulator on host:port (0 = a free port) in a daemon thread; returns once it accepts requests."""
    state = SimState(config or SimConfig())
    state.market.warm()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    server = uvicorn.Server(uvicorn.Config(build_app(state=state), log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="kis-simulator")
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("simulator thread exited during start-up")
        time.sleep(0.01)
    bound = sock.getsockname()[1]
    return RunningSimulator(f"http://{host}:{bound}", state, server, thread)


def start_process(port: int, *args: str) -> subprocess.Popen:
    """Run `python -m kis_platform.simulator --port PORT ARGS…` as a separate OS process (stop it with .terminate())."""
    cmd = [sys.executable, "-m", "kis_platform.simulator", "--host", "127.0.0.1", "--port", str(port), *args]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def wait_ready(base_url: str, timeout: float = 60.0) -> None:
    """Block until GET /__sim/now answers (for processes started with start_process)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base_url}/__sim/now", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"simulator at {base_url} did not start within {timeout} s")
        time.sleep(0.1)
