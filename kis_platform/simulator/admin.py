"""Admin API under /__sim/ (loopback clients only): stats, faults, clock, reset, now, events."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from kis_platform.simulator.faults import FaultError
from kis_platform.simulator.state import SimState

LOOPBACK = {"127.0.0.1", "::1", "localhost"}


def is_loopback(host: str | None) -> bool:
    """True for loopback client addresses (IPv4 127.0.0.0/8, IPv6 ::1 and its IPv4-mapped form)."""
    if not host:
        return False
    host = host.removeprefix("::ffff:")
    return host in LOOPBACK or host.startswith("127.")


def _guard(request: Request) -> JSONResponse | None:
    client = request.client.host if request.client else None
    if not is_loopback(client):
        return JSONResponse({"error": "admin API is loopback-only"}, status_code=403)
    return None


async def _json(request: Request) -> dict[str, Any]:
    raw = await request.body()
    data = json.loads(raw) if raw.strip() else {}
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _state(request: Request) -> SimState:
    return request.app.state.sim


async def stats(request: Request) -> JSONResponse:
    if (denied := _guard(request)) is not None:
        return denied
    st = _state(request)
    return JSONResponse(st.stats.snapshot(st.krx_counter.total()))


async def faults(request: Request) -> JSONResponse:
    if (denied := _guard(request)) is not None:
        return denied
    st = _state(request)
    if request.method == "GET":
        return JSONResponse(st.faults.current())
    try:
        changes = await _json(request)
        if not changes:
            st.faults.clear()
        else:
            st.faults.merge(changes)
    except (ValueError, FaultError) as e:
        return JSONResponse({"error": str(e)}, status_code=400)
    st.run_fault_actions()
    return JSONResponse(st.faults.current())


async def faults_clear(request: Request) -> JSONResponse:
    if (denied := _guard(request)) is not None:
        return denied
    _state(request).faults.clear()
    return JSONResponse(_state(request).faults.current())


async def clock(request: Request) -> JSONResponse:
    if (denied := _guard(request)) is not None:
        return denied
    st = _state(request)
    if request.method == "POST":
        try:
            body = await _json(request)
            mode = body.get("mode", "real")
            st.clock.set(mode, body.get("now") or body.get("start"), body.get("speed"))
        except (ValueError, TypeError) as e:
            return JSONResponse({"error": str(e)}, status_code=400)
    return JSONResponse(st.clock.describe())


async def now(request: Request) -> JSONResponse:
    if (denied := _guard(request)) is not None:
        return denied
    st = _state(request)
    t = st.clock.now()
    cal = st.market.cal
    return JSONResponse({"now": t.isoformat(), "mode": st.clock.mode, "session": cal.is_session(t.date())})


async def reset(request: Request) -> JSONResponse:
    if (denied := _guard(request)) is not None:
        return denied
    _state(request).reset()
    return JSONResponse({"reset": True})


async def events(request: Request) -> JSONResponse:
    """Corporate events and special days of the simulated market (for tests and demos)."""
    if (denied := _guard(request)) is not None:
        return denied
    st = _state(request)
    ev = st.market.u.events
    return JSONResponse({
        "splits": [{"symbol": c, "date": d.isoformat(), "ratio": r} for c, (d, r) in ev.splits.items()],
        "renames": [{"symbol": c, "date": d.isoformat(), "old": o, "new": n} for c, (d, o, n) in ev.renames.items()],
        "market_moves": [{"symbol": c, "date": d.isoformat(), "from": o, "to": n} for c, (d, o, n) in ev.moves.items()],
        "extra_holidays": [d.isoformat() for d in sorted(st.market.cal.extra_closed)],
        "stocks": st.market.u.n,
    })
