"""The simulated market behaves like KRX: grids, limits, auctions, aggregation, events, flows, calendar."""

from __future__ import annotations

from datetime import date, datetime

import numpy as np

from kis_platform.calendar import KST
from kis_platform.settings import DEFAULT_SYMBOLS
from kis_platform.simulator.market.ticks import on_grid
from kis_platform_tests.simulator.conftest import Q, daily_chart, krx, minutes_past, minutes_today


def all_minutes(kis, code: str, day: str) -> list[dict]:
    """Page backwards through FHKST03010230 like the official backtester (input time inclusive)."""
    rows, hour = [], "235900"
    while True:
        page = minutes_past(kis, code, day, hour).json()["output2"]
        new = [r for r in page if not rows or r["stck_cntg_hour"] < rows[-1]["stck_cntg_hour"]]
        rows += new
        if len(page) < 120 or not new:
            return rows
        hour = page[-1]["stck_cntg_hour"]


def test_universe(sim):
    u = sim.state.market.u
    assert u.n >= 2500
    assert set(DEFAULT_SYMBOLS.split(",")) <= set(u.by_code)
    assert u.by_code["005930"].name == "삼성전자" and u.by_code["005930"].isin == "KR7005930003"
    assert "0037T0" in u.by_code and any(not s.code.isdigit() for s in u.stocks[60:])
    assert u.kospi200.sum() == 200 and u.kosdaq150.sum() == 150
    assert any(s.delisted for s in u.stocks) and any(s.listed > date(2020, 1, 1) for s in u.stocks)


def test_minutes_aggregate_to_the_daily_bar_and_krx(kis):
    rows = all_minutes(kis, "005930", "20261119")
    day = next(r for r in daily_chart(kis).json()["output2"] if r["stck_bsop_date"] == "20261119")
    krx_row = next(r for r in krx(kis.http, "sto/stk_bydd_trd", "20261119").json()["OutBlock_1"]
                   if r["ISU_CD"] == "005930")
    assert rows[-1]["stck_oprc"] == day["stck_oprc"] == krx_row["TDD_OPNPRC"]
    assert rows[0]["stck_prpr"] == day["stck_clpr"] == krx_row["TDD_CLSPRC"]
    assert str(max(int(r["stck_hgpr"]) for r in rows)) == day["stck_hgpr"] == krx_row["TDD_HGPRC"]
    assert str(min(int(r["stck_lwpr"]) for r in rows)) == day["stck_lwpr"] == krx_row["TDD_LWPRC"]
    assert str(sum(int(r["cntg_vol"]) for r in rows)) == day["acml_vol"] == krx_row["ACC_TRDVOL"]
    assert rows[0]["acml_tr_pbmn"] == day["acml_tr_pbmn"] == krx_row["ACC_TRDVAL"]


def test_session_shape_of_minute_bars(kis):
    rows = all_minutes(kis, "005930", "20261118")  # a normal day
    hours = [r["stck_cntg_hour"] for r in rows]
    assert hours[-1] == "090000" and hours[0] == "153000"
    assert not [h for h in hours if "152000" <= h <= "152900"]
    auction = rows[0]
    assert auction["stck_oprc"] == auction["stck_hgpr"] == auction["stck_lwpr"] == auction["stck_prpr"]
    csat = all_minutes(kis, "005930", "20261119")  # CSAT day: 10:00-16:30
    assert csat[-1]["stck_cntg_hour"] == "100000" and csat[0]["stck_cntg_hour"] == "163000"


def test_prices_on_grid_and_within_limits(sim):
    m = sim.state.market
    closes = m.daily.close_matrix[-900:-300].astype(float)
    split = m.u.by_code[next(iter(m.u.events.splits))].idx
    moves = np.abs(closes[1:] / closes[:-1] - 1)
    moves[:, split] = 0
    assert moves.max() <= 0.30
    assert on_grid(closes).all()
    t = m.daily.day(date(2026, 11, 19))
    assert (t.high >= t.low).all() and (t.high <= t.upper).all() and (t.low >= t.lower).all()


def test_illiquid_stocks_skip_minutes(sim):
    m = sim.state.market
    quiet = int(np.argmin(m.u.base_volume))
    bars = m.bars(m.u.stocks[quiet], date(2026, 11, 19), datetime(2026, 11, 20, 12, 0, tzinfo=KST))
    assert 0 < len(bars) < 300


def test_split_adjusted_differs_from_raw_before_the_split(kis, sim):
    code, (day, ratio) = next(iter(sim.state.market.u.events.splits.items()))
    adj = {r["stck_bsop_date"]: int(r["stck_clpr"]) for r in daily_chart(kis, code, "20260401", "20260601").json()["output2"]}
    raw = {r["stck_bsop_date"]: int(r["stck_clpr"]) for r in daily_chart(kis, code, "20260401", "20260601", "1").json()["output2"]}
    before = [d for d in adj if d < day.strftime("%Y%m%d")]
    after = [d for d in adj if d >= day.strftime("%Y%m%d")]
    assert before and after
    assert all(abs(raw[d] / adj[d] - ratio) < 0.01 for d in before)
    assert all(raw[d] == adj[d] for d in after)


def test_rename_and_market_move(kis, sim):
    u = sim.state.market.u
    code, (day, old, new) = next(iter(u.events.renames.items()))
    names = {d: next(r["ISU_NM"] for r in krx(kis.http, "sto/stk_bydd_trd", d).json()["OutBlock_1"]
                     if r["ISU_CD"] == code) for d in ("20260227", "20260303")}
    assert names == {"20260227": old, "20260303": new} and day == date(2026, 3, 3)
    mover, (mday, _, _) = next(iter(u.events.moves.items()))
    before = {r["ISU_CD"] for r in krx(kis.http, "sto/ksq_bydd_trd", "20260630").json()["OutBlock_1"]}
    after = {r["ISU_CD"] for r in krx(kis.http, "sto/stk_bydd_trd", "20260701").json()["OutBlock_1"]}
    assert mover in before and mover in after and mday == date(2026, 7, 1)


def test_krx_publishes_day_d_from_next_morning(fresh):
    import httpx

    h = httpx.Client(base_url=fresh.base_url)
    assert krx(h, "sto/stk_bydd_trd", "20261120").json() == {"OutBlock_1": []}  # same day, 12:50
    fresh.set_clock("fixed", "2026-11-21T07:59:00+09:00")
    assert krx(h, "sto/stk_bydd_trd", "20261120").json() == {"OutBlock_1": []}
    fresh.set_clock("fixed", "2026-11-21T08:00:00+09:00")
    assert len(krx(h, "sto/stk_bydd_trd", "20261120").json()["OutBlock_1"]) > 800


def test_investor_flows_sum_to_zero_and_today_blank_until_close(kis):
    body = kis.get(Q + "investor-trade-by-stock-daily", "FHPTJ04160001", FID_COND_MRKT_DIV_CODE="J",
                   FID_INPUT_ISCD="005930", FID_INPUT_DATE_1="20261119").json()
    for row in body["output2"]:
        assert sum(int(row[f"{g}_ntby_qty"]) for g in ("frgn", "prsn", "orgn", "etc")) == 0
        assert sum(int(row[f"{g}_ntby_tr_pbmn"]) for g in ("frgn", "prsn", "orgn", "etc")) == 0
        assert int(row["fund_shnu_vol"]) - int(row["fund_seln_vol"]) == int(row["fund_ntby_qty"])
    today = kis.get(Q + "inquire-investor", "FHKST01010900", FID_COND_MRKT_DIV_CODE="J",
                    FID_INPUT_ISCD="005930").json()["output"]
    assert today[0]["stck_bsop_date"] == "20261120" and today[0]["prsn_ntby_qty"] == ""
    assert today[1]["prsn_ntby_qty"] != ""


def test_simulator_only_holiday_shows_in_the_holiday_tr(kis):
    rows = kis.get(Q + "chk-holiday", "CTCA0903R", BASS_DT="20260601").json()["output"]
    flags = {r["bass_dt"]: r["opnd_yn"] for r in rows}
    assert flags["20260602"] == "Y" and flags["20260603"] == "N"


def test_holiday_paging(kis):
    first = kis.get(Q + "chk-holiday", "CTCA0903R", BASS_DT="20261120", CTX_AREA_NK="", CTX_AREA_FK="")
    assert first.json()["msg_cd"] == "KIOK0500" and first.headers["tr_cont"] == "M"
    nk = first.json()["ctx_area_nk"]
    http = kis.http
    second = http.get(Q + "chk-holiday", params={"BASS_DT": "20261120", "CTX_AREA_NK": nk, "CTX_AREA_FK": ""},
                      headers={**first.request.headers, "tr_cont": "N"})
    assert second.json()["output"][0]["bass_dt"] > first.json()["output"][-1]["bass_dt"]


def test_today_minutes_forming_bar_and_future_time(fresh):
    from kis_platform_tests.simulator.conftest import Kis

    k = Kis(fresh.base_url)
    fresh.set_clock("fixed", "2026-11-20T10:15:40+09:00")
    rows = minutes_today(k, hour="235959").json()["output2"]  # future time = now
    assert rows[0]["stck_cntg_hour"] in ("101500", "101400")
    assert all(r["stck_cntg_hour"] <= "101500" for r in rows)
    inclusive = minutes_today(k, hour="100000").json()["output2"]
    assert inclusive[0]["stck_cntg_hour"] == "100000"
    fresh.set_clock("fixed", "2026-11-20T10:15:59+09:00")
    later = minutes_today(k, hour="235959").json()["output2"]
    if rows[0]["stck_cntg_hour"] == "101500":  # the forming bar grows during its minute
        assert int(later[0]["cntg_vol"]) >= int(rows[0]["cntg_vol"])


def test_futures_roll_and_codes(sim):
    f = sim.state.market.futures
    assert [c.code for c in f.listed(date(2026, 12, 10))][:2] == ["A01612", "A01703"]
    assert [c.code for c in f.listed(date(2026, 12, 11))][:2] == ["A01703", "A01706"]
    assert f.listed(date(2025, 11, 20))[0].code == "101W12"
    assert f.listed(date(2026, 5, 20))[0].isin == "KR4A01660005"


def test_option_greeks_move_with_the_underlying(fresh):
    from kis_platform_tests.simulator.conftest import FO, Kis

    k = Kis(fresh.base_url)

    def board():
        return k.get(FO + "display-board-callput", "FHPIF05030100", FID_COND_MRKT_DIV_CODE="O",
                     FID_COND_SCR_DIV_CODE="20503", FID_MRKT_CLS_CODE="CO", FID_MTRT_CNT="202612",
                     FID_COND_MRKT_CLS_CODE="", FID_MRKT_CLS_CODE1="PO").json()

    fresh.set_clock("fixed", "2026-11-20T09:05:00+09:00")
    a = board()
    fresh.set_clock("fixed", "2026-11-20T15:00:00+09:00")
    b = board()
    assert a["output1"][0]["unch_prpr"] != b["output1"][0]["unch_prpr"]
    assert [r["delta_val"] for r in a["output1"]] != [r["delta_val"] for r in b["output1"]]
    assert sum(r["atm_cls_name"] == "ATM" for r in b["output1"]) == 1
    calls = b["output1"]
    ivs = [float(r["hts_ints_vltl"]) for r in calls]
    assert min(ivs) < ivs[0] and min(ivs) < ivs[-1]  # a smile
    assert all(0 <= float(r["delta_val"]) <= 1 for r in calls)
