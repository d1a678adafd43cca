"""Clock modes, and changing them at runtime through the admin API."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from kis_platform.calendar import KST
from kis_platform.simulator import clock as clock_mod
from kis_platform.simulator.clock import SimClock


def test_fixed_clock_stands_still():
    c = SimClock("fixed", "2026-11-20T09:00:00+09:00")
    assert c.now() == c.now() == datetime(2026, 11, 20, 9, tzinfo=KST)


def test_accelerated_clock_runs_at_speed(monkeypatch):
    t = [1000.0]
    monkeypatch.setattr(clock_mod.time, "monotonic", lambda: t[0])
    c = SimClock("accelerated", "2026-11-20T09:00:00+09:00", speed=60)
    t[0] += 10  # ten real seconds
    assert c.now() == datetime(2026, 11, 20, 9, 10, tzinfo=KST)


def test_real_clock_and_bad_modes():
    assert abs(SimClock("real").now() - datetime.now(KST)) < timedelta(minutes=1)
    with pytest.raises(ValueError):
        SimClock("fixed")
    with pytest.raises(ValueError):
        SimClock("sideways", "2026-11-20T09:00:00")


def test_naive_start_is_kst():
    assert SimClock("fixed", "2026-11-20T09:00:00").now().utcoffset() == timedelta(hours=9)


def test_admin_clock(fresh):
    fresh.set_clock("fixed", "2026-11-23T10:00:00+09:00")
    now = httpx.get(f"{fresh.base_url}/__sim/now").json()
    assert now["now"] == "2026-11-23T10:00:00+09:00" and now["session"] is True
    body = fresh.set_clock("accelerated", "2026-11-23T09:00:00+09:00", speed=600)
    assert body["mode"] == "accelerated" and body["speed"] == 600
    assert fresh.set_clock("real")["mode"] == "real"
    assert httpx.post(f"{fresh.base_url}/__sim/clock", json={"mode": "fixed"}).status_code == 400
