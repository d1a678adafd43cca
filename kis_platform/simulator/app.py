"""The Starlette app: KIS paths, KRX paths, master files and the admin API over one SimState."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import Route

from kis_platform.simulator import admin, krx
from kis_platform.simulator.config import SimConfig
from kis_platform.simulator.kis import futures, investor, master, oauth, options, stocks  # noqa: F401 - register TRs
from kis_platform.simulator.kis import holiday  # noqa: F401 - registers CTCA0903R
from kis_platform.simulator.kis.gateway import kis_api
from kis_platform.simulator.state import SimState


def build_app(config: SimConfig | None = None, state: SimState | None = None) -> Starlette:
    """An ASGI app serving the simulated KIS and KRX APIs (state built from config unless given)."""
    state = state or SimState(config or SimConfig())
    routes = [
        Route("/oauth2/tokenP", oauth.token_p, methods=["POST"]),
        Route("/oauth2/revokeP", oauth.revoke_p, methods=["POST"]),
        Route("/oauth2/Approval", oauth.approval, methods=["POST"]),
        Route("/uapi/{rest:path}", kis_api, methods=["GET"]),
        Route("/svc/apis/{group}/{service}", krx.krx_api, methods=["GET"]),
        Route("/common/master/{name}", master.master_file, methods=["GET"]),
        Route("/__sim/stats", admin.stats, methods=["GET"]),
        Route("/__sim/faults", admin.faults, methods=["GET", "POST"]),
        Route("/__sim/faults/clear", admin.faults_clear, methods=["POST"]),
        Route("/__sim/clock", admin.clock, methods=["GET", "POST"]),
        Route("/__sim/now", admin.now, methods=["GET"]),
        Route("/__sim/reset", admin.reset, methods=["POST"]),
        Route("/__sim/events", admin.events, methods=["GET"]),
    ]
    app = Starlette(routes=routes)
    app.state.sim = state
    return app
