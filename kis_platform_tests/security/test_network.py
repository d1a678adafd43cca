"""The simulator's admin API (/__sim/: faults, clock, reset, stats) answers loopback clients only, even when the
simulator is deliberately served on every interface; and everything listens on 127.0.0.1 by default.

(The listening sockets of a running `kis-platform up` are checked in test_live_platform.py.)"""

from __future__ import annotations

import inspect
import socket
from collections.abc import Iterator

import httpx
import psutil
import pytest
from starlette.routing import Route

from kis_platform.settings import load_settings
from kis_platform.simulator import SimConfig, run_in_thread
from kis_platform.simulator.app import build_app
from kis_platform.simulator.cli import parser
from kis_platform.simulator.server import RunningSimulator
from kis_platform_tests.security.sweep import report

SPOOFS = ({"X-Forwarded-For": "127.0.0.1"}, {"X-Real-IP": "127.0.0.1"}, {"Forwarded": "for=127.0.0.1"},
          {"Host": "127.0.0.1"})


def _other_address() -> str | None:
    found = sorted(a.address for addrs in psutil.net_if_addrs().values() for a in addrs
                   if a.family == socket.AF_INET and not a.address.startswith("127."))
    return found[0] if found else None


@pytest.fixture(scope="module")
def exposed() -> Iterator[tuple[RunningSimulator, str]]:
    """A simulator listening on 0.0.0.0, and this machine's non-loopback address to reach it through."""
    address = _other_address()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address to connect from")
    with run_in_thread(SimConfig(), host="0.0.0.0") as running:
        yield running, f"http://{address}:{running.base_url.rsplit(':', 1)[1]}"


def _admin_routes(sim: RunningSimulator) -> list[tuple[str, str]]:
    app = build_app(state=sim.state)
    return sorted((route.path, method) for route in app.routes if isinstance(route, Route)
                  and route.path.startswith("/__sim") for method in (route.methods or ()) if method != "HEAD")


def test_admin_api_refuses_other_addresses(exposed: tuple[RunningSimulator, str]) -> None:
    sim, remote = exposed
    loopback = sim.base_url.replace("0.0.0.0", "127.0.0.1")
    before = httpx.get(f"{loopback}/__sim/faults", timeout=10).json()
    tried = []
    for path, method in _admin_routes(sim):
        body = {"error_5xx_rate": 1.0} if path == "/__sim/faults" else {"mode": "fixed", "now": "2026-11-20T10:00:00+09:00"}
        for headers in ({}, *SPOOFS):
            reply = httpx.request(method, f"{remote}{path}", json=body if method == "POST" else None,
                                  headers=headers, timeout=10)
            tried.append(f"{method} {path}{' ' + next(iter(headers)) if headers else ''}")
            assert reply.status_code == 403, f"{method} {path} with {headers} from {remote}: {reply.status_code}"
    assert httpx.get(f"{loopback}/__sim/faults", timeout=10).json() == before, "a refused request changed faults"
    assert httpx.get(f"{loopback}/__sim/stats", timeout=10).status_code == 200  # loopback still served
    api = httpx.get(f"{remote}/svc/apis/sto/stk_bydd_trd", params={"basDd": "20261120"},
                    headers={"AUTH_KEY": "any-key"}, timeout=30)
    assert api.status_code == 200, "the market API itself is meant to answer any client"
    report("simulator admin", f"{len(tried)} admin requests from {remote.split('//')[1]} (every /__sim route and "
                              f"method, plain and with spoofed X-Forwarded-For/X-Real-IP/Forwarded/Host): all 403, "
                              f"faults unchanged; loopback served; market API answered the same client")


def test_everything_listens_on_loopback_by_default() -> None:
    settings = load_settings({})
    defaults = {
        "simulator CLI --host": parser(18080).parse_args([]).host,
        "simulator run_in_thread host": inspect.signature(run_in_thread).parameters["host"].default,
        "Dagster UI host (KIS_PLATFORM_UI_HOST unset)": settings.ui_host,
        "simulator base URL in sim mode": settings.kis_base_url.split("//")[1].split(":")[0],
    }
    from kis_platform.storage import embedded

    source = inspect.getsource(embedded.EmbeddedPostgres.start)
    defaults["embedded PostgreSQL -h"] = "127.0.0.1" if "-h 127.0.0.1" in source else "?"
    report("defaults", f"{defaults}")
    assert set(defaults.values()) == {"127.0.0.1"}, defaults
