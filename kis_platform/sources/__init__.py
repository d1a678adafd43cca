"""Clients for the KIS Open API and the KRX Open API.

Start here: `kis_client()` / `krx_client()` build clients from settings; endpoint functions live in
`kis_platform.sources.kis.<family>` and `kis_platform.sources.krx.daily` and return typed DataFrames.
"""

from __future__ import annotations

from kis_platform.sources.errors import (AuthError, BreakerOpen, MalformedResponse, NotFound, RateLimited,
                                         ServerError, SourceError, TokenError, UnknownErrorCode)
from kis_platform.sources.factory import kis_client, krx_client, shared_limiter
from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.krx.client import KrxClient
from kis_platform.sources.raw import RawResponse

__all__ = ["AuthError", "BreakerOpen", "KisClient", "KrxClient", "MalformedResponse", "NotFound", "RateLimited",
           "RawResponse", "ServerError", "SourceError", "TokenError", "UnknownErrorCode", "kis_client", "krx_client",
           "shared_limiter"]
