"""futures_minute_bars against the simulator: front months once per minute, idempotent reruns, no forming bar,
the December 2026 roll, and 5xx faults absorbed by the client's retries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, datetime
from decimal import Decimal

import dagster as dg
import psycopg
import pytest

from kis_platform.calendar import KST, is_session
from kis_platform.defs.intraday.contracts import front_months, last_trading_day
from kis_platform.defs.intraday.assets import minute_and_futures_bars
from kis_platform.defs.intraday.keys import FUTURES_MINUTE_BARS
from kis_platform.defs.resources import build_resources
from kis_platform.settings import get_settings
from kis_platform.sources.factory import kis_client
from kis_platform.sources.kis.futures import futures_minutes
from kis_platform.sources.kis.master import fo_index_master

KEY = "2026-11-20-10:04"
COLS = "symbol, bar_start, underlying, expiry, open, high, low, close, volume, turnover_krw, source"


@pytest.fixture
def sim_clock(sim, platform: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], dict]]:
    """The platform follows the simulator's clock; the simulator's clock is set by the test, restored after."""
    monkeypatch.setenv("KIS_PLATFORM_CLOCK", "simulator")
    get_settings.cache_clear()
    yield lambda now: sim.set_clock("fixed", now)
    sim.clear_faults()
    sim.set_clock("real")
    get_settings.cache_clear()


def _materialize(instance: dg.DagsterInstance, key: str) -> dg.ExecuteInJobResult:
    if key not in instance.get_dynamic_partitions("session_minutes"):
        instance.add_dynamic_partitions("session_minutes", [key])
    return dg.materialize([minute_and_futures_bars], selection=[FUTURES_MINUTE_BARS], instance=instance,
                          resources=build_resources(), partition_key=key,
                          raise_on_error=False)


def _meta(result: dg.ExecuteInJobResult) -> dict:
    return {k: v.value for k, v in result.asset_materializations_for_node("minute_and_futures_bars")[0].metadata.items()}


def _rows(dsn: str, where: str = "true") -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(f"SELECT {COLS} FROM futures_minute_bars WHERE {where} ORDER BY 1, 2").fetchall()


def _nearest(day: date) -> dict[str, str]:
    """Month class 1 of each product in the simulator's master of `day` (its clock must be on that day)."""
    master = fo_index_master(get_settings().kis_master_url)
    near = master[(master["product_type"] == "1") & (master["month_class"] == "1")]
    return dict(zip(near["underlying_name"], near["short_code"]))


def test_minute_stores_both_front_months_once_and_reruns_identically(platform: str, sim_clock, instance) -> None:
    sim_clock("2026-11-20T10:05:30+09:00")
    result = _materialize(instance, KEY)
    assert result.success
    bar = datetime(2026, 11, 20, 10, 4, tzinfo=KST)
    at_bar = _rows(platform, "bar_start = '2026-11-20 10:04+09'")
    assert [(r[0], r[2], r[3], r[10]) for r in at_bar] == [("A01612", "KOSPI200", "202612", "SIM_KIS"),
                                                           ("A06612", "KOSDAQ150", "202612", "SIM_KIS")]
    assert _nearest(bar.date()) == {"KOSPI200": "A01612", "KOSDAQ150": "A06612"}
    # what was stored is what the source says for that minute
    with kis_client(get_settings()) as client:
        src = futures_minutes(client, "A01612", bar.date(), until="100400", since="100400")
    assert at_bar[0][4:9] == tuple(Decimal(str(src[c].iloc[0])) for c in ("open", "high", "low", "close")) + (
        int(src["volume"].iloc[0]),)
    # the ten minutes before are refreshed too, and the forming 10:05 bar is not stored
    assert len(_rows(platform, "bar_start BETWEEN '2026-11-20 09:54+09' AND '2026-11-20 10:04+09'")) == 22
    assert _rows(platform, "bar_start >= '2026-11-20 10:05+09'") == []
    assert all(r[9] is not None and r[9] > 0 for r in _rows(platform))
    meta = _meta(result)
    assert meta["missing"] == "none" and meta["dagster/row_count"] == 2
    assert result.get_asset_check_evaluations()[0].passed

    first = _rows(platform)
    again = _materialize(instance, KEY)
    assert again.success and _rows(platform) == first
    assert _meta(again)["master"] == "cached"


def test_forming_bar_is_not_stored_and_is_reported_missing(platform: str, sim_clock, instance) -> None:
    sim_clock("2026-11-20T10:05:30+09:00")
    result = _materialize(instance, "2026-11-20-10:05")
    assert result.success
    assert _rows(platform, "bar_start >= '2026-11-20 10:05+09'") == []
    meta = _meta(result)
    assert meta["missing"] == "KOSPI200 A01612 10:05, KOSDAQ150 A06612 10:05"
    assert meta["late_retries"] == 10  # the fixed clock never moves on: bounded by count (retry_for_s // retry_every_s)
    assert len(_rows(platform)) == 20  # 09:55-10:04 are still refreshed


def test_first_minute_owns_the_pre_open_futures_bars(platform: str, sim_clock, instance) -> None:
    sim_clock("2026-11-20T10:05:30+09:00")
    assert _materialize(instance, "2026-11-20-09:00").success
    rows = _rows(platform, "symbol = 'A01612'")
    assert rows[0][1] == datetime(2026, 11, 20, 8, 45, tzinfo=KST) and rows[-1][1] == datetime(2026, 11, 20, 9, 0,
                                                                                               tzinfo=KST)
    assert rows[0][9] is not None  # the day's first bar: its turnover is the running total itself


@pytest.mark.parametrize("day, expected", [("2026-12-09", "612"), ("2026-12-10", "703"), ("2026-12-11", "703")])
def test_roll_to_march_on_the_december_expiry_day(platform: str, sim_clock, instance, day: str,
                                                  expected: str) -> None:
    sim_clock(f"{day}T10:05:30+09:00")
    assert _materialize(instance, f"{day}-10:04").success
    assert [r[0] for r in _rows(platform, f"bar_start = '{day} 10:04+09'")] == [f"A01{expected}", f"A06{expected}"]
    # The simulator's master still lists December as nearest on its last trading day: the roll is our rule.
    nearest = {"2026-12-09": "612", "2026-12-10": "612", "2026-12-11": "703"}[day]
    assert _nearest(date.fromisoformat(day)) == {"KOSPI200": f"A01{nearest}", "KOSDAQ150": f"A06{nearest}"}


def test_front_month_rule_and_derived_codes(platform: str, sim_clock) -> None:
    assert last_trading_day(2026, 12, is_session) == date(2026, 12, 10)
    assert last_trading_day(2026, 12, lambda d: d != date(2026, 12, 10)) == date(2026, 12, 9)
    sim_clock("2026-12-11T10:00:00+09:00")
    master = fo_index_master(get_settings().kis_master_url)
    on_expiry_eve = front_months(master, date(2026, 12, 9), is_session)
    assert [(c.symbol, c.expiry, c.from_master) for c in on_expiry_eve] == [("A01612", "202612", False),
                                                                           ("A06612", "202612", False)]
    assert [c.symbol for c in front_months(master, date(2027, 3, 11), is_session)] == ["A01706", "A06706"]


def test_5xx_faults_still_yield_every_bar(platform: str, sim_clock, instance, sim) -> None:
    sim_clock("2026-11-20T10:05:30+09:00")
    assert _materialize(instance, KEY).success
    clean = _rows(platform)
    with psycopg.connect(platform, autocommit=True) as conn:
        conn.execute("DELETE FROM futures_minute_bars")
    sim.set_faults(error_5xx_rate=0.3)
    injected, retries = 0, 0
    for _ in range(5):  # the fault draws depend on request order: run until some 5xx were really injected
        before = sum(v for k, v in sim.stats()["by_fault"].items() if "5xx" in k)
        faulty = _materialize(instance, KEY)
        assert faulty.success
        assert _rows(platform) == clean
        injected += sum(v for k, v in sim.stats()["by_fault"].items() if "5xx" in k) - before
        retries += _meta(faulty)["kis_retries"]
        if injected:
            break
    assert injected > 0 and retries >= injected
