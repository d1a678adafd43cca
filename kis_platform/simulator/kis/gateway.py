"""The KIS API gateway: credentials, per-second limit, token, tr_id, then the TR handler; faults around it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from kis_platform.simulator import respond
from kis_platform.simulator.baddata import RowSpec, corrupt
from kis_platform.simulator.kis import fmt
from kis_platform.simulator.kis.fmt import KisError
from kis_platform.simulator.state import SimState


@dataclass
class Ctx:
    """One validated quotation request."""

    state: SimState
    q: dict[str, str]  # query with upper-cased keys (the real server accepts either case)
    now: datetime
    tr_cont: str

    def p(self, name: str, default: str = "") -> str:
        return self.q.get(name, default).strip()


Handler = Callable[[Ctx], tuple[dict[str, Any], str]]


@dataclass(frozen=True)
class Tr:
    """A quotation TR served at one path."""

    tr_id: str
    handler: Handler
    real_only: bool = False
    page: int | None = None  # page size, for the truncated-page fault
    rows: RowSpec | None = None  # where prices are, for bad-data faults


ROUTES: dict[str, Tr] = {}


def register(path: str, tr: Tr) -> None:
    ROUTES[path] = tr


def check_credentials(state: SimState, headers: Any) -> str:
    key, secret = headers.get("appkey", ""), headers.get("appsecret", "")
    cfg = state.config
    if len(key) != 36 or (cfg.app_key and key != cfg.app_key):
        raise KisError(*fmt.BAD_APPKEY)
    if len(secret) != 180 or (cfg.app_secret and secret != cfg.app_secret):
        raise KisError(*fmt.BAD_APPSECRET)
    return key


def check_token(state: SimState, headers: Any) -> None:
    auth = headers.get("authorization", "")
    if not auth.lower().startswith("bearer ") or not auth[7:].strip():
        raise KisError(*fmt.TOKEN_MISSING)
    forced = state.faults.get("token_error")
    problem = forced or state.tokens.check(auth[7:].strip())
    if forced:
        state.stats.fault("token_error")
    if problem:
        state.stats.inc("token_rejections")
        raise KisError(*(fmt.TOKEN_EXPIRED if problem == "EGW00123" else fmt.TOKEN_INVALID))


async def kis_api(request: Request) -> Response:
    """Every GET under /uapi/."""
    state: SimState = request.app.state.sim
    tr_id = request.headers.get("tr_id", "")
    state.stats.inc("requests")
    state.stats.tr(tr_id or "(none)")
    state.stats.enter_api()
    try:
        early = await respond.before(state)
    finally:
        state.stats.leave_api()
    if early is not None:
        return early
    headers = {"tr_id": tr_id, "tr_cont": "", "gt_uid": uuid.uuid4().hex}
    try:
        key = check_credentials(state, request.headers)
        if state.faults.take_burst() or state.faults.draw("egw00201_rate"):
            state.stats.fault("egw00201")
            raise KisError(*fmt.RATE_LIMITED)
        if not state.bucket.allow(key):
            state.stats.inc("rate_violations")
            raise KisError(*fmt.RATE_LIMITED)
        check_token(state, request.headers)
        route = ROUTES.get(request.url.path)
        if route is None:
            return respond.json_response(state, {"rt_cd": "1", "msg_cd": "EGW00404", "msg1": "Not Found"}, 404)
        if tr_id != route.tr_id:
            raise KisError(*fmt.NO_SERVICE)
        if state.config.env == "paper" and route.real_only:
            raise KisError(*fmt.PAPER_UNSUPPORTED, status=200)
        q = {k.upper(): v for k, v in request.query_params.items()}
        ctx = Ctx(state, q, state.clock.now(), request.headers.get("tr_cont", ""))
        body, tr_cont = route.handler(ctx)
    except KisError as e:
        state.stats.error(e.msg_cd)
        return respond.json_response(state, e.body(), e.status, headers)
    body = _data_faults(state, route, ctx, body)
    headers["tr_cont"] = tr_cont
    return respond.json_response(state, body, 200, headers)


def _data_faults(state: SimState, route: Tr, ctx: Ctx, body: dict[str, Any]) -> dict[str, Any]:
    key = route.rows.key if route.rows else next((k for k in ("output2", "output") if isinstance(body.get(k), list)), None)
    rows = body.get(key) if key else None
    if not isinstance(rows, list):
        return body
    if route.page and len(rows) == route.page and state.faults.draw("truncated_page_rate"):
        state.stats.fault("truncated_page")
        rows = rows[: max(1, len(rows) // 3)]
    if route.rows and rows:
        rows, fired = corrupt(rows, route.rows, state.faults, ctx.p("FID_INPUT_ISCD"))
        for name in fired:
            state.stats.fault(name)
    return {**body, key: rows}
