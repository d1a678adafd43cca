"""Fixtures for the source-client tests: the real KIS/KRX sample bodies and clients on a replaying transport."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.krx.client import KrxClient

SAMPLES = Path(__file__).parent / "samples"
APP_KEY = "PSTESTKEY" + "K" * 27
APP_SECRET = "SECRETVALUE" + "S" * 169
TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.TESTTOKENPAYLOAD.TESTSIGNATURE"
KRX_KEY = "KRXAUTHKEYSECRET1234"


def sample_text(name: str) -> str:
    return (SAMPLES / name).read_text(encoding="utf-8")


def sample(name: str) -> dict[str, Any]:
    return json.loads(sample_text(name))


def token_body() -> dict[str, Any]:
    body = sample("tokenP_oauth2-tokenP.json")
    body["access_token"] = TOKEN
    return body


Handler = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def make_kis(tmp_path: Path) -> Callable[..., KisClient]:
    """make_kis(handler, **client_kwargs): a KisClient whose requests go to `handler` (tokenP answered for it)."""

    def make(handler: Handler, **kwargs: Any) -> KisClient:
        def route(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/oauth2/tokenP":
                return httpx.Response(200, json=token_body())
            return handler(request)

        kwargs.setdefault("sleep", lambda s: None)
        kwargs.setdefault("backoff_base", 0.0)
        return KisClient("https://kis.test", APP_KEY, APP_SECRET, state_dir=kwargs.pop("state_dir", tmp_path),
                         transport=httpx.MockTransport(route), **kwargs)

    return make


@pytest.fixture
def make_krx() -> Callable[..., KrxClient]:
    def make(handler: Handler, **kwargs: Any) -> KrxClient:
        kwargs.setdefault("sleep", lambda s: None)
        return KrxClient("https://krx.test", KRX_KEY, transport=httpx.MockTransport(handler), **kwargs)

    return make


def replay(name: str, status: int = 200, headers: dict[str, str] | None = None) -> Handler:
    """A handler answering every request with the bytes of sample `name`."""
    body = (SAMPLES / name).read_bytes()
    return lambda request: httpx.Response(status, content=body, headers={"content-type": "application/json",
                                                                          **(headers or {})})
