"""Simulators in threads for the tests, and small request helpers (plain httpx, no platform client)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from kis_platform.settings import SIM_APP_KEY, SIM_APP_SECRET
from kis_platform.simulator import SimConfig, run_in_thread

SAMPLES = Path("/work/shared/reference/kis-samples")
NOW = "2026-11-20T12:50:30+09:00"  # a Friday session, mid-day
Q = "/uapi/domestic-stock/v1/quotations/"
FO = "/uapi/domestic-futureoption/v1/quotations/"


def sample(name: str) -> dict:
    return json.loads((SAMPLES / name).read_text())


class Kis:
    """Minimal KIS caller: token once, then GETs with the real headers."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)
        self.token = self.issue().json()["access_token"]

    def issue(self, key: str = SIM_APP_KEY, secret: str = SIM_APP_SECRET) -> httpx.Response:
        return self.http.post("/oauth2/tokenP", json={"grant_type": "client_credentials", "appkey": key,
                                                      "appsecret": secret})

    def get(self, path: str, tr_id: str, token: str | None = None, **params: Any) -> httpx.Response:
        headers = {"authorization": f"Bearer {token or self.token}", "appkey": SIM_APP_KEY,
                   "appsecret": SIM_APP_SECRET, "tr_id": tr_id, "custtype": "P",
                   "content-type": "application/json; charset=utf-8"}
        return self.http.get(path, params=params, headers=headers)


def minutes_today(kis: Kis, code: str = "005930", hour: str = "125000") -> httpx.Response:
    return kis.get(Q + "inquire-time-itemchartprice", "FHKST03010200", FID_COND_MRKT_DIV_CODE="J",
                   FID_INPUT_ISCD=code, FID_INPUT_HOUR_1=hour, FID_PW_DATA_INCU_YN="Y", FID_ETC_CLS_CODE="")


def minutes_past(kis: Kis, code: str = "005930", day: str = "20261119", hour: str = "153000") -> httpx.Response:
    return kis.get(Q + "inquire-time-dailychartprice", "FHKST03010230", FID_COND_MRKT_DIV_CODE="J",
                   FID_INPUT_ISCD=code, FID_INPUT_HOUR_1=hour, FID_INPUT_DATE_1=day, FID_PW_DATA_INCU_YN="Y",
                   FID_FAKE_TICK_INCU_YN="")


def daily_chart(kis: Kis, code: str = "005930", start: str = "20260101", end: str = "20261120",
                adj: str = "0") -> httpx.Response:
    return kis.get(Q + "inquire-daily-itemchartprice", "FHKST03010100", FID_COND_MRKT_DIV_CODE="J",
                   FID_INPUT_ISCD=code, FID_INPUT_DATE_1=start, FID_INPUT_DATE_2=end, FID_PERIOD_DIV_CODE="D",
                   FID_ORG_ADJ_PRC=adj)


def krx(http: httpx.Client, service: str, day: str) -> httpx.Response:
    return http.get(f"/svc/apis/{service}", params={"basDd": day}, headers={"AUTH_KEY": "test-key"})


@pytest.fixture(scope="session")
def sim():
    """A fixed-clock simulator without a practical rate limit, shared by read-only tests."""
    with run_in_thread(SimConfig(clock="fixed", start=NOW, rate_per_second=100_000)) as s:
        yield s


@pytest.fixture(scope="session")
def kis(sim) -> Kis:
    return Kis(sim.base_url)


@pytest.fixture(scope="session")
def _mutable():
    with run_in_thread(SimConfig(clock="fixed", start=NOW, rate_per_second=100_000, token_min_interval=0)) as s:
        yield s


@pytest.fixture()
def fresh(_mutable):
    """A simulator for tests that change faults, clock or tokens; reset before each test."""
    _mutable.clear_faults()
    _mutable.set_clock("fixed", NOW)
    _mutable.reset()
    yield _mutable
