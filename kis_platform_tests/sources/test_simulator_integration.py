"""The clients against the simulator over localhost HTTP: every endpoint with paging, every fault type, and four
client processes sharing one rate budget and one token."""

from __future__ import annotations

import json
import logging
import multiprocessing
import time
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from kis_platform.calendar import KST
from kis_platform.settings import SIM_APP_KEY, SIM_APP_SECRET
from kis_platform.sources.errors import ServerError, TokenError
from kis_platform.sources.kis import daily, flows, futures, holidays, master, minutes, options
from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.krx import daily as krx
from kis_platform.sources.krx.client import KrxClient
from kis_platform.sources.limiter import SharedLimiter, default_buckets
from kis_platform_tests.sources import _sim_workers

server = pytest.importorskip("kis_platform.simulator.server")
TODAY, PAST = date(2026, 11, 18), date(2026, 11, 17)  # a Wednesday (fixed sim clock 15:45) and the day before


@pytest.fixture(scope="module")
def sim():
    config = server.SimConfig(clock="fixed", start=datetime(2026, 11, 18, 15, 45, tzinfo=KST), token_min_interval=1.0)
    with server.run_in_thread(config) as running:
        yield running


@pytest.fixture(scope="module")
def state_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("state")


@pytest.fixture
def kis(sim, state_dir):
    sim.clear_faults()
    client = KisClient(sim.base_url, SIM_APP_KEY, SIM_APP_SECRET, state_dir=state_dir, source_tag="SIM",
                       limiter=SharedLimiter(state_dir, default_buckets("sim")), token_min_interval_s=1.0,
                       backoff_base=0.01, retries=6)
    yield client
    client.close()
    sim.clear_faults()


@pytest.fixture(scope="module")
def baseline(sim, state_dir):
    client = KisClient(sim.base_url, SIM_APP_KEY, SIM_APP_SECRET, state_dir=state_dir, source_tag="SIM",
                       limiter=SharedLimiter(state_dir, default_buckets("sim")), token_min_interval_s=1.0)
    return {"past": minutes.day_minutes(client, "005930", PAST),
            "daily": daily.daily_bars(client, "005930", date(2026, 1, 1), PAST)}


def test_daily_pages_cover_every_session(kis, baseline):
    df = baseline["daily"]
    cal = holidays.holidays(kis, date(2026, 1, 1), PAST)  # CTCA0903R, paged with ctx_area keys
    assert len(df) > 100 and df["trade_date"].is_unique and df["trade_date"].is_monotonic_increasing
    assert list(df["trade_date"]) == list(cal.loc[cal["market_open"].astype(bool), "day"])
    adj = daily.daily_bars(kis, "005930", date(2026, 10, 1), PAST, adjusted=True)
    assert adj["adjusted"].all() and len(adj) == (df["trade_date"] >= date(2026, 10, 1)).sum()


def test_minutes_aggregate_to_the_daily_bar(kis, baseline):
    past, day = baseline["past"], baseline["daily"].set_index("trade_date").loc[PAST]
    assert len(past) > 120 and past["bar_start"].is_unique and past["bar_start"].is_monotonic_increasing
    assert past["bar_start"].iloc[0] == pd.Timestamp("2026-11-17 09:00", tz="Asia/Seoul")
    assert past["volume"].sum() == day["volume"] and past["cum_turnover_krw"].iloc[-1] == day["turnover_krw"]
    assert past["high"].max() == day["high"] and past["open"].iloc[0] == day["open"]
    today = minutes.today_minutes(kis, "005930")
    today_bar = daily.daily_bars(kis, "005930", TODAY, TODAY).iloc[0]
    assert len(today) > 30 and today["volume"].sum() == today_bar["volume"]
    assert today["bar_start"].iloc[-1] == pd.Timestamp("2026-11-18 15:30", tz="Asia/Seoul")


def test_recent_daily_and_flows(kis):
    recent = daily.recent_daily(kis, "005930")
    assert len(recent) == 30 and recent["trade_date"].iloc[-1] == TODAY
    fl = flows.investor_flows(kis, "005930")
    assert len(fl) == 30 and fl["trade_date"].is_monotonic_increasing
    detail = flows.investor_flows_detail(kis, "005930", PAST, start=date(2026, 8, 1))  # > 30 rows: two pages
    assert detail["trade_date"].iloc[-1] == PAST and detail["pension_fund_net_qty"].notna().all()
    assert detail["trade_date"].iloc[0] <= date(2026, 8, 5) and detail["trade_date"].is_unique and len(detail) > 60
    row = fl.set_index("trade_date").loc[PAST]
    assert detail.set_index("trade_date").loc[PAST, "foreign_net_qty"] == row["foreign_net_qty"]


def test_futures_and_options(kis, sim):
    fo = master.fo_index_master(f"{sim.base_url}/common/master")
    front = fo[(fo["product_type"] == "1") & (fo["month_class"] == "1")].iloc[0]["short_code"]
    bars = futures.futures_minutes(kis, front, PAST)
    assert len(bars) > 102 and bars["bar_start"].is_unique and str(bars["close"].dtype) == "Float64"
    assert bars["bar_start"].iloc[0].strftime("%H%M") == "0845"
    quote = futures.futures_quote(kis, front)
    assert quote.iloc[0]["price"] > 0 and quote.iloc[0]["open_interest"] > 0
    expiries = options.option_expiries(kis)
    board = options.option_board(kis, expiries.iloc[0]["expiry_month"])
    assert set(board["right"]) == {"call", "put"} and board["is_atm"].sum() >= 1
    assert board["iv"].notna().all() and (board["strike"] > 0).all()


def test_masters(sim):
    kospi = master.stock_master(f"{sim.base_url}/common/master", "KOSPI")
    kosdaq = master.stock_master(f"{sim.base_url}/common/master", "KOSDAQ")
    assert "005930" in set(kospi["short_code"]) and len(kosdaq) > 100
    assert kospi["listing_date"].notna().all() and kospi["isin"].str.len().eq(12).all()


def test_krx_endpoints_match_kis(sim, state_dir, baseline):
    client = KrxClient(sim.base_url, "SIMKRXKEY", source_tag="SIM",
                       limiter=SharedLimiter(state_dir, default_buckets("sim")))
    stocks = krx.stock_daily(client, "KOSPI", PAST)
    samsung = stocks.set_index("symbol").loc["005930"]
    kis_day = baseline["daily"].set_index("trade_date").loc[PAST]
    assert samsung["close"] == kis_day["close"] and samsung["volume"] == kis_day["volume"]
    assert len(krx.stock_daily(client, "KOSDAQ", PAST)) > 100
    assert krx.stock_base_info(client, "KOSPI", PAST)["isin"].str.startswith("KR").all()
    assert krx.index_daily(client, "KOSPI", PAST)["close"].notna().any()
    assert len(krx.futures_daily(client, PAST)) > 0 and len(krx.options_daily(client, PAST)) > 0


def test_rate_limit_burst_is_retried(kis, sim):
    sim.set_faults(egw00201_burst=2)
    assert len(daily.recent_daily(kis, "000660")) == 30
    assert kis.stats["rate_limited"] == 2 and kis.stats["retries"] == 2


@pytest.mark.parametrize("fault", [{"error_5xx_rate": 0.4}, {"malformed_json_rate": 0.4},
                                   {"truncated_page_rate": 0.6}])
def test_faults_do_not_change_the_data(kis, sim, baseline, fault):
    sim.set_faults(**fault)
    pd.testing.assert_frame_equal(minutes.day_minutes(kis, "005930", PAST), baseline["past"])
    pd.testing.assert_frame_equal(daily.daily_bars(kis, "005930", date(2026, 1, 1), PAST), baseline["daily"])
    assert sim.stats()["faults_injected"] > 0


def test_breaker_opens_on_persistent_5xx_and_recovers(kis, sim):
    kis.retries, kis.breaker.cooldown_s = 10, 0.2
    kis.lease.token()
    sim.set_faults(error_5xx_rate=1.0)
    with pytest.raises(ServerError):
        daily.recent_daily(kis, "005930")
    assert kis.stats["breaker_state"] == "open" and kis.stats["breaker_opens"] == 1
    sim.clear_faults()
    time.sleep(0.3)
    assert len(daily.recent_daily(kis, "005930")) == 30 and kis.stats["breaker_state"] == "closed"


def test_hanging_and_slow_answers_time_out_and_retry(sim, state_dir, baseline):
    client = KisClient(sim.base_url, SIM_APP_KEY, SIM_APP_SECRET, state_dir=state_dir, source_tag="SIM",
                       limiter=SharedLimiter(state_dir, default_buckets("sim")), token_min_interval_s=1.0,
                       timeout=0.5, retries=8, backoff_base=0.01)
    client.lease.token()
    sim.set_faults(hang_rate=0.3, hang_seconds=3)
    try:
        pd.testing.assert_frame_equal(minutes.day_minutes(client, "005930", PAST), baseline["past"])
        assert client.stats["retries"] > 0
        sim.set_faults(hang_rate=1.0)
        with pytest.raises(ServerError, match="timed out"):
            daily.recent_daily(client, "005930")
    finally:
        sim.clear_faults()


@pytest.mark.parametrize("action", ["expire_tokens", "revoke_tokens"])
def test_expired_or_revoked_token_is_reissued(kis, sim, action):
    kis.lease.token()
    before = sim.stats()["token_issuances"]
    sim.set_faults(**{action: True})
    time.sleep(1.1)  # the simulator's one-issuance-per-interval rule, shortened to 1 s here
    assert len(daily.recent_daily(kis, "005930")) == 30
    assert sim.stats()["token_issuances"] == before + 1


def test_persistent_token_error_raises(kis, sim):
    kis.lease.token()
    sim.set_faults(token_error="EGW00123")
    with pytest.raises(TokenError) as info:
        daily.recent_daily(kis, "005930")
    assert info.value.msg_cd == "EGW00123"


def test_four_processes_share_rate_and_token(tmp_path):
    config = server.SimConfig(clock="fixed", start=datetime(2026, 11, 18, 15, 45, tzinfo=KST))
    with server.run_in_thread(config) as sim2:
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(4)
        outs = [tmp_path / f"w{i}.json" for i in range(4)]
        procs = [ctx.Process(target=_sim_workers.hammer_client, args=(sim2.base_url, str(tmp_path), 25, barrier,
                                                                        str(out))) for out in outs]
        for p in procs:
            p.start()
        for p in procs:
            p.join(120)
            assert p.exitcode == 0
        stats = sim2.stats()
    results = [json.loads(o.read_text()) for o in outs]
    assert all(r["rows"] == 25 * 30 for r in results)
    assert stats["rate_violations"] == 0 and stats["token_issuances"] == 1 and stats["token_rate_violations"] == 0
    assert sum(r["stats"]["token_issuances"] for r in results) == 1


def test_no_secret_in_debug_logs_or_landing_zone(sim, state_dir, caplog):
    caplog.set_level(logging.DEBUG)
    records = []
    client = KisClient(sim.base_url, SIM_APP_KEY, SIM_APP_SECRET, state_dir=state_dir, source_tag="SIM",
                       limiter=SharedLimiter(state_dir, default_buckets("sim")), token_min_interval_s=1.0,
                       on_response=records.append, retries=1, backoff_base=0.01)
    client.lease._cached = None
    client.lease.forget()
    time.sleep(1.1)
    daily.recent_daily(client, "005930")  # issues a token through tokenP, then calls
    token = client.lease.token()
    sim.set_faults(token_error="EGW00121")
    with pytest.raises(TokenError) as info:
        daily.recent_daily(client, "005930")
    sim.clear_faults()
    texts = [caplog.text, str(info.value), repr(info.value), str(info.value.raw), repr(client), str(client.stats)]
    texts += [json.dumps(r.params) + r.body + r.path for r in records]
    assert records[0].tr_id == "tokenP" and records[0].source == "SIM"
    for secret in (SIM_APP_SECRET, token):
        assert not any(secret in t for t in texts)
