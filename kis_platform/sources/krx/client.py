"""`KrxClient`: the client for the KRX Open API (data-dbg.krx.co.kr), one GET per market and day.

Requests are `GET /svc/apis/<group>/<service>?basDd=YYYYMMDD` with header `AUTH_KEY`; answers are
`{"OutBlock_1": [...]}` with every value a string and "-" for missing. Calls go through the shared "krx" bucket
(5/s) and the KRX daily counter (10,000 calls per key per day), with the same retries and breaker as KIS.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx

from kis_platform.sources.errors import AuthError, RateLimited, ServerError, UnknownErrorCode
from kis_platform.sources.http import Reply, SourceClient, parse_json


class KrxClient(SourceClient):
    """KRX Open API client; `service(path, day)` returns the raw Reply for e.g. "sto/stk_bydd_trd"."""

    name = "KRX"

    def __init__(self, base_url: str, auth_key: str, *, source_tag: str = "KRX", **kwargs: Any) -> None:
        super().__init__(base_url, source_tag=source_tag, **kwargs)
        self._auth_key = auth_key

    def __repr__(self) -> str:
        return f"KrxClient(base_url={self.base_url!r})"

    def _check(self, resp: httpx.Response, tr_id: str) -> dict[str, Any]:
        if resp.status_code in (401, 403):
            raise AuthError(f"KRX refused the AUTH_KEY for this service (HTTP {resp.status_code}); each service must "
                            "be applied for on openapi.krx.co.kr", tr_id=tr_id, status=resp.status_code, raw=resp.text)
        if resp.status_code == 429:
            raise RateLimited("KRX answered HTTP 429", tr_id=tr_id, status=429, raw=resp.text)
        if resp.status_code >= 500:
            raise ServerError(f"HTTP {resp.status_code}", tr_id=tr_id, status=resp.status_code, raw=resp.text)
        data = parse_json(resp, tr_id)
        if resp.status_code != 200:
            raise UnknownErrorCode(f"KRX answered HTTP {resp.status_code}", tr_id=tr_id, status=resp.status_code,
                                   raw=resp.text)
        return data

    def service(self, path: str, day: date) -> Reply:
        """GET /svc/apis/<path>?basDd=<day>."""
        return self.call("GET", f"/svc/apis/{path}", tr_id=path, params={"basDd": day.strftime("%Y%m%d")},
                         headers={"AUTH_KEY": self._auth_key}, bucket="krx")
