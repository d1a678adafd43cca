"""Token lease rules inside one process: reuse, the one-per-minute window, EGW00133, renewal before expiry."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from kis_platform.sources.errors import TokenError
from kis_platform.sources.kis.auth import IssuedToken, TokenLease
from kis_platform.sources.kis.client import KisClient
from kis_platform_tests.sources.conftest import APP_KEY, APP_SECRET, sample_text, token_body


def lease_with(tmp_path: Path, tokens: list[IssuedToken], sleeps: list[float]) -> TokenLease:
    it = iter(tokens)
    return TokenLease(tmp_path, "KEY", "http://x", lambda: next(it), sleep=sleeps.append)


def test_reuse_then_wait_for_the_minute_before_reissue(tmp_path):
    sleeps: list[float] = []
    far = time.time() + 86400
    lease = lease_with(tmp_path, [IssuedToken("A", far), IssuedToken("B", far)], sleeps)
    assert lease.token() == "A" and lease.token() == "A" and lease.issuances == 1
    other = lease_with(tmp_path, [], sleeps)  # a second process on the same state dir
    assert other.token() == "A" and other.issuances == 0
    lease.invalidate("A")
    assert lease.token() == "B" and lease.issuances == 2
    assert len(sleeps) == 1 and 55 < sleeps[0] <= 60  # the previous issuance was moments ago


def test_renews_before_expiry(tmp_path):
    sleeps: list[float] = []
    now = time.time()
    lease = lease_with(tmp_path, [IssuedToken("new", now + 86400)], sleeps)
    lease.path.write_text(json.dumps({"access_token": "old", "expires_at": now + 300, "issued_at": now - 86100}))
    assert lease.token() == "new"  # 5 minutes left is inside the 10-minute margin
    lease.path.write_text(json.dumps({"access_token": "fresh", "expires_at": now + 3600, "issued_at": now - 82800}))
    lease._cached = None
    assert lease.token() == "fresh"  # an hour left: reused


def test_egw00133_waits_and_retries(tmp_path):
    answers = iter([httpx.Response(403, content=sample_text("ERROR_EGW00133_token-rate.json").encode()),
                    httpx.Response(200, json=token_body())])
    sleeps: list[float] = []
    client = KisClient("https://kis.test", APP_KEY, APP_SECRET, state_dir=tmp_path, sleep=sleeps.append,
                       transport=httpx.MockTransport(lambda r: next(answers)))
    assert client.lease.token().startswith("eyJ")
    assert client.stats["token_issuances"] == 1 and sleeps and max(sleeps) > 55


def test_egw00133_forever_gives_token_error(tmp_path):
    body = sample_text("ERROR_EGW00133_token-rate.json").encode()
    client = KisClient("https://kis.test", APP_KEY, APP_SECRET, state_dir=tmp_path, sleep=lambda s: None,
                       transport=httpx.MockTransport(lambda r: httpx.Response(403, content=body)))
    with pytest.raises(TokenError) as info:
        client.lease.token()
    assert info.value.msg_cd == "EGW00133" and APP_SECRET not in str(info.value)


def test_revoke_forgets_token(tmp_path):
    def route(request):
        if request.url.path == "/oauth2/tokenP":
            return httpx.Response(200, json=token_body())
        assert request.url.path == "/oauth2/revokeP"
        return httpx.Response(200, content=sample_text("revokeP_oauth2-revokeP.json").encode())

    client = KisClient("https://kis.test", APP_KEY, APP_SECRET, state_dir=tmp_path, transport=httpx.MockTransport(route))
    client.lease.token()
    assert client.lease.path.exists()
    client.revoke()
    assert not client.lease.path.exists()
