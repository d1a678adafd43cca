"""The admin API answers loopback clients only, and its endpoints do what they say."""

from __future__ import annotations

import httpx
from starlette.testclient import TestClient

from kis_platform.simulator.admin import is_loopback
from kis_platform.simulator.app import build_app


def test_is_loopback():
    assert is_loopback("127.0.0.1") and is_loopback("127.3.2.1") and is_loopback("::1")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.5") and not is_loopback("192.168.1.2") and not is_loopback(None)
    assert not is_loopback("testclient")


def test_non_loopback_client_gets_403(sim):
    client = TestClient(build_app(state=sim.state))  # TestClient's client host is "testclient"
    for path in ("/__sim/stats", "/__sim/now", "/__sim/faults"):
        assert client.get(path).status_code == 403
    assert client.post("/__sim/reset").status_code == 403


def test_stats_shape_and_reset(fresh):
    st = fresh.stats()
    for key in ("requests", "rate_violations", "token_issuances", "token_rejections", "krx_calls_today", "by_tr_id"):
        assert key in st
    httpx.get(f"{fresh.base_url}/svc/apis/idx/kospi_dd_trd", params={"basDd": "20261119"}, headers={"AUTH_KEY": "k"})
    assert fresh.stats()["by_tr_id"]["KRX:idx/kospi_dd_trd"] == 1
    fresh.reset()
    assert fresh.stats()["requests"] == 0


def test_events(sim):
    ev = httpx.get(f"{sim.base_url}/__sim/events").json()
    assert ev["splits"] and ev["renames"] and ev["market_moves"] and "2026-06-03" in ev["extra_holidays"]
