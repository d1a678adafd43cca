"""POST /oauth2/tokenP, /oauth2/revokeP, /oauth2/Approval (OAuth bodies use error_code/error_description)."""

from __future__ import annotations

import json
import uuid

from starlette.requests import Request
from starlette.responses import Response

from kis_platform.simulator import respond
from kis_platform.simulator.kis.auth import expiry_text
from kis_platform.simulator.state import SimState

TOKEN_RATE = {"error_description": "접근토큰 발급 잠시 후 다시 시도하세요(1분당 1회)", "error_code": "EGW00133"}
BAD_KEY = {"error_description": "유효하지 않은 AppKey입니다.", "error_code": "EGW00103"}  # inferred
BAD_SECRET = {"error_description": "유효하지 않은 AppSecret입니다.", "error_code": "EGW00105"}  # inferred
BAD_GRANT = {"error_description": "grant_type을 확인하세요.", "error_code": "EGW00102"}  # inferred


async def _body(request: Request) -> dict:
    try:
        data = json.loads(await request.body() or b"{}")
        return data if isinstance(data, dict) else {}
    except ValueError:
        return {}


def _credentials_error(state: SimState, key: str, secret: str) -> dict | None:
    cfg = state.config
    if len(key) != 36 or (cfg.app_key and key != cfg.app_key):
        return BAD_KEY
    if len(secret) != 180 or (cfg.app_secret and secret != cfg.app_secret):
        return BAD_SECRET
    return None


async def token_p(request: Request) -> Response:
    state: SimState = request.app.state.sim
    state.stats.inc("requests")
    state.stats.inc("token_requests")
    state.stats.tr("tokenP")
    early = await respond.before(state)
    if early is not None:
        return early
    body = await _body(request)
    if body.get("grant_type") != "client_credentials":
        return respond.json_response(state, BAD_GRANT, 403)
    key, secret = str(body.get("appkey", "")), str(body.get("appsecret", ""))
    problem = _credentials_error(state, key, secret)
    if problem:
        state.stats.error(problem["error_code"])
        return respond.json_response(state, problem, 403)
    tok, new = state.tokens.issue(key)
    if tok is None:
        state.stats.inc("token_rate_violations")
        state.stats.error("EGW00133")
        return respond.json_response(state, TOKEN_RATE, 403)
    if new:
        state.stats.inc("token_issuances")
    return respond.json_response(state, {"access_token": tok.value, "access_token_token_expired": expiry_text(tok),
                                         "token_type": "Bearer", "expires_in": int(tok.expires - tok.issued)})


async def revoke_p(request: Request) -> Response:
    state: SimState = request.app.state.sim
    state.stats.inc("requests")
    state.stats.tr("revokeP")
    body = await _body(request)
    problem = _credentials_error(state, str(body.get("appkey", "")), str(body.get("appsecret", "")))
    if problem:
        return respond.json_response(state, problem, 403)
    state.tokens.revoke(str(body.get("token", "")))
    return respond.json_response(state, {"code": 200, "message": "접근토큰 폐기에 성공하였습니다"})


async def approval(request: Request) -> Response:
    state: SimState = request.app.state.sim
    state.stats.inc("requests")
    state.stats.tr("Approval")
    body = await _body(request)
    problem = _credentials_error(state, str(body.get("appkey", "")), str(body.get("secretkey", "")))
    if problem:
        return respond.json_response(state, problem, 403)
    return respond.json_response(state, {"approval_key": str(uuid.uuid4())})
