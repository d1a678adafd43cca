"""`KisClient`: the one client for the KIS Open API REST quotations (real, paper or simulator host).

Adds to the shared core (kis_platform.sources.http): the KIS headers of kis-api §2.1, the shared token lease
(issue through POST /oauth2/tokenP, re-issue once when KIS answers EGW00123/EGW00121/EGW00122) and the KIS error
envelope (`rt_cd`/`msg_cd`, OAuth `error_code`). Endpoint functions live one family per module in this package.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from kis_platform.sources.errors import (AuthError, MalformedResponse, RateLimited, ServerError, SourceError,
                                         TokenError, UnknownErrorCode, redact)
from kis_platform.sources.http import Reply, SourceClient, parse_json
from kis_platform.sources.kis.auth import IssuedToken, TokenIssueTooSoon, TokenLease

REISSUE_CODES = {"EGW00121", "EGW00122", "EGW00123"}
KNOWN_CODES: dict[str, tuple[type[SourceError], str]] = {
    "EGW00201": (RateLimited, "more calls per second than KIS allows for this app key"),
    "EGW00121": (TokenError, "the access token is not valid"),
    "EGW00122": (TokenError, "the access token was not found"),
    "EGW00123": (TokenError, "the access token has expired"),
    "EGW00133": (TokenIssueTooSoon, "tokenP was called more than once in a minute for this app key"),
    # EGW00103/EGW00105 are the codes commonly reported for a wrong app key / secret (not in the verified samples).
    "EGW00103": (AuthError, "the app key was refused (check KIS_APP_KEY)"),
    "EGW00105": (AuthError, "the app secret was refused (check KIS_APP_SECRET)"),
    "EGW02004": (AuthError, "a paper-trading app key cannot call the real host (check KIS_ENV and the keys)"),
}


class KisClient(SourceClient):
    """KIS REST client. Use `get(path, tr_id, params)`; `stats` adds `token_issuances` to the core counters."""

    name = "KIS"

    def __init__(self, base_url: str, app_key: str, app_secret: str, *, state_dir: Path,
                 source_tag: str = "KIS", custtype: str = "P", token_min_interval_s: float = 60.0,
                 **kwargs: Any) -> None:
        super().__init__(base_url, source_tag=source_tag, **kwargs)
        self._key, self._secret, self.custtype = app_key, app_secret, custtype
        self.lease = TokenLease(state_dir, app_key, base_url, self._issue_token, sleep=self._sleep,
                                min_interval_s=token_min_interval_s)

    def __repr__(self) -> str:
        return f"KisClient(base_url={self.base_url!r})"

    @property
    def stats(self) -> dict[str, Any]:
        return {**super().stats, "token_issuances": self.lease.issuances}

    def _check(self, resp: httpx.Response, tr_id: str) -> dict[str, Any]:
        data = parse_json(resp, tr_id)
        code = str(data.get("msg_cd") or data.get("error_code") or "")
        if resp.status_code < 400 and data.get("rt_cd") == "0":
            return data
        if tr_id in ("tokenP", "revokeP") and resp.status_code == 200 and not code:
            return data
        message = str(data.get("msg1") or data.get("error_description") or "")
        if code in KNOWN_CODES:
            cls, meaning = KNOWN_CODES[code]
            raise cls(f"{meaning} (HTTP {resp.status_code}: {message})", tr_id=tr_id, msg_cd=code,
                      status=resp.status_code, raw=resp.text)
        if resp.status_code >= 500:
            raise ServerError(f"HTTP {resp.status_code} {message}".strip(), tr_id=tr_id, msg_cd=code or None,
                              status=resp.status_code, raw=resp.text)
        if code or data.get("rt_cd") not in (None, "0"):
            raise UnknownErrorCode(f"KIS error not known to this client (HTTP {resp.status_code}, rt_cd="
                                   f"{data.get('rt_cd')!r}): {message}", tr_id=tr_id, msg_cd=code or None,
                                   status=resp.status_code, raw=resp.text)
        if resp.status_code in (401, 403):
            raise AuthError(f"HTTP {resp.status_code}: credentials refused", tr_id=tr_id, status=resp.status_code,
                            raw=resp.text)
        raise MalformedResponse(f"no rt_cd in the response (HTTP {resp.status_code})", tr_id=tr_id, field="rt_cd",
                                status=resp.status_code, raw=resp.text)

    def _landing_body(self, resp: httpx.Response, tr_id: str) -> str:
        return redact(resp.text) if tr_id in ("tokenP", "revokeP") else resp.text

    def _issue_token(self) -> IssuedToken:
        body = {"grant_type": "client_credentials", "appkey": self._key, "appsecret": self._secret}
        reply = self.call("POST", "/oauth2/tokenP", tr_id="tokenP", json_body=body, bucket="kis",
                          headers={"content-type": "application/json; charset=utf-8"},
                          record_params={"grant_type": "client_credentials"})
        token, expires_in = reply.data.get("access_token"), reply.data.get("expires_in")
        if not isinstance(token, str) or not token:
            raise MalformedResponse("tokenP answer has no access_token", tr_id="tokenP", field="access_token",
                                    raw=redact(reply.text))
        if not isinstance(expires_in, (int, float, str)) or not str(expires_in).isdigit():
            raise MalformedResponse("tokenP answer has no numeric expires_in", tr_id="tokenP", field="expires_in",
                                    raw=redact(reply.text))
        now = time.time()
        return IssuedToken(token, now + float(expires_in), now)

    def revoke(self) -> None:
        """Revoke the shared token (POST /oauth2/revokeP) and forget it, e.g. when rotating keys."""
        tok = self.lease._read()
        if tok is not None:
            body = {"appkey": self._key, "appsecret": self._secret, "token": tok.value}
            self.call("POST", "/oauth2/revokeP", tr_id="revokeP", json_body=body, bucket="kis",
                      headers={"content-type": "application/json; charset=utf-8"}, record_params={})
        self.lease.forget()

    def get(self, path: str, tr_id: str, params: dict[str, str], *, tr_cont: str = "",
            bucket: str = "kis") -> Reply:
        """GET a quotation TR with the KIS headers; re-issues the token once if KIS says it expired/is invalid."""
        for reissued in (False, True):
            token = self.lease.token()
            headers = {
                "content-type": "application/json; charset=utf-8",
                "authorization": f"Bearer {token}",
                "appkey": self._key,
                "appsecret": self._secret,
                "tr_id": tr_id,
                "custtype": self.custtype,
                "tr_cont": tr_cont,
            }
            try:
                return self.call("GET", path, tr_id=tr_id, params=params, headers=headers, bucket=bucket)
            except TokenError as err:
                if reissued or err.msg_cd not in REISSUE_CODES:
                    raise
                self.lease.invalidate(token)
        raise AssertionError("unreachable")

