"""Every endpoint's body has the structure of the real sample for its TR: keys, key order, all strings."""

from __future__ import annotations

import pytest

from kis_platform_tests.simulator.conftest import FO, Q, daily_chart, krx, minutes_past, minutes_today, sample


def all_strings(value) -> bool:
    if isinstance(value, dict):
        return all(all_strings(v) for v in value.values())
    if isinstance(value, list):
        return all(all_strings(v) for v in value)
    return isinstance(value, str)


def same_shape(got: dict, ref: dict) -> None:
    assert list(got) == list(ref), "top-level keys and order"
    for key, ref_value in ref.items():
        if isinstance(ref_value, dict):
            assert list(got[key]) == list(ref_value), key
        elif isinstance(ref_value, list) and ref_value:
            assert got[key], f"{key} is empty"
            for row in got[key]:
                assert list(row) == list(ref_value[0]), key
    assert all_strings(got)


CASES = {
    "FHKST03010100_inquire-daily-itemchartprice.json": lambda k: daily_chart(k),
    "FHKST03010200_inquire-time-itemchartprice.json": lambda k: minutes_today(k),
    "FHKST03010230_inquire-time-dailychartprice.json": lambda k: minutes_past(k),
    "FHKST01010400_inquire-daily-price.json": lambda k: k.get(
        Q + "inquire-daily-price", "FHKST01010400", FID_COND_MRKT_DIV_CODE="J", FID_INPUT_ISCD="005930",
        FID_PERIOD_DIV_CODE="D", FID_ORG_ADJ_PRC="1"),
    "FHKST01010900_inquire-investor.json": lambda k: k.get(
        Q + "inquire-investor", "FHKST01010900", FID_COND_MRKT_DIV_CODE="J", FID_INPUT_ISCD="005930"),
    "FHPTJ04160001_investor-trade-by-stock-daily.json": lambda k: k.get(
        Q + "investor-trade-by-stock-daily", "FHPTJ04160001", FID_COND_MRKT_DIV_CODE="J", FID_INPUT_ISCD="005930",
        FID_INPUT_DATE_1="20261119", FID_ORG_ADJ_PRC="", FID_ETC_CLS_CODE=""),
    "FHKIF03020200_inquire-time-fuopchartprice.json": lambda k: k.get(
        FO + "inquire-time-fuopchartprice", "FHKIF03020200", fid_cond_mrkt_div_code="F", fid_input_iscd="A01612",
        fid_hour_cls_code="60", fid_pw_data_incu_yn="N", fid_fake_tick_incu_yn="N", fid_input_date_1="",
        fid_input_hour_1=""),
    "FHMIF10000000_inquire-price.json": lambda k: k.get(
        FO + "inquire-price", "FHMIF10000000", FID_COND_MRKT_DIV_CODE="F", FID_INPUT_ISCD="A01612"),
    "FHPIO056104C0_display-board-option-list.json": lambda k: k.get(
        FO + "display-board-option-list", "FHPIO056104C0", FID_COND_SCR_DIV_CODE="509", FID_COND_MRKT_DIV_CODE="",
        FID_COND_MRKT_CLS_CODE=""),
    "FHPIF05030100_display-board-callput.json": lambda k: k.get(
        FO + "display-board-callput", "FHPIF05030100", FID_COND_MRKT_DIV_CODE="O", FID_COND_SCR_DIV_CODE="20503",
        FID_MRKT_CLS_CODE="CO", FID_MTRT_CNT="202612", FID_COND_MRKT_CLS_CODE="", FID_MRKT_CLS_CODE1="PO"),
    "CTCA0903R_chk-holiday.json": lambda k: k.get(
        Q + "chk-holiday", "CTCA0903R", BASS_DT="20261120", CTX_AREA_NK="", CTX_AREA_FK=""),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_body_matches_sample(kis, name):
    r = CASES[name](kis)
    assert r.status_code == 200
    assert r.headers["tr_id"] == r.request.headers["tr_id"]
    assert "tr_cont" in r.headers
    body = r.json()
    assert body["rt_cd"] == "0"
    same_shape(body, sample(name))


def test_quirky_key_with_a_space(kis):
    assert "itewhol_loan_rmnd_ratem name" in daily_chart(kis).json()["output1"]


def test_page_sizes(kis):
    assert len(daily_chart(kis, start="20200101").json()["output2"]) == 100
    assert len(minutes_today(kis).json()["output2"]) == 30
    assert len(minutes_past(kis).json()["output2"]) == 120
    board = CASES["FHPIF05030100_display-board-callput.json"](kis).json()
    assert len(board["output1"]) == len(board["output2"]) == 100
    fo = CASES["FHKIF03020200_inquire-time-fuopchartprice.json"](kis).json()
    assert len(fo["output2"]) == 102


def test_query_keys_are_case_insensitive(kis):
    upper = minutes_past(kis).json()
    lower = kis.get(Q + "inquire-time-dailychartprice", "FHKST03010230", fid_cond_mrkt_div_code="J",
                    fid_input_iscd="005930", fid_input_hour_1="153000", fid_input_date_1="20261119",
                    fid_pw_data_incu_yn="Y", fid_fake_tick_incu_yn="").json()
    assert upper == lower



@pytest.mark.parametrize("service,name", [
    ("sto/stk_bydd_trd", "KRX_sto_stk_bydd_trd.json"), ("sto/ksq_bydd_trd", "KRX_sto_ksq_bydd_trd.json"),
    ("sto/stk_isu_base_info", "KRX_sto_stk_isu_base_info.json"),
    ("sto/ksq_isu_base_info", "KRX_sto_ksq_isu_base_info.json"),
    ("drv/fut_bydd_trd", "KRX_drv_fut_bydd_trd.json"), ("drv/opt_bydd_trd", "KRX_drv_opt_bydd_trd.json"),
])
def test_krx_matches_sample(kis, service, name):
    r = krx(kis.http, service, "20261119")
    assert r.status_code == 200
    same_shape(r.json(), sample(name))


def test_krx_index_rows(kis):
    rows = krx(kis.http, "idx/kospi_dd_trd", "20261119").json()["OutBlock_1"]
    ref = list(sample("KRX_idx_drvprod_dd_trd.json")["OutBlock_1"][0])
    assert [r["IDX_NM"] for r in rows][:2] == ["코스피", "코스피 200"]
    assert list(rows[0])[: len(ref)] == ref and all_strings(rows)


def test_oauth_bodies(fresh):
    from kis_platform_tests.simulator.conftest import Kis

    k = Kis(fresh.base_url)
    body = k.issue().json()
    assert list(body) == list(sample("tokenP_oauth2-tokenP.json"))
    assert isinstance(body["expires_in"], int) and body["access_token"].startswith("eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzUxMiJ9.")
    from kis_platform.settings import SIM_APP_KEY, SIM_APP_SECRET

    revoke = k.http.post("/oauth2/revokeP", json={"appkey": SIM_APP_KEY, "appsecret": SIM_APP_SECRET,
                                                 "token": k.token}).json()
    assert revoke == sample("revokeP_oauth2-revokeP.json")
    approval = k.http.post("/oauth2/Approval", json={"grant_type": "client_credentials", "appkey": SIM_APP_KEY,
                                                    "secretkey": SIM_APP_SECRET}).json()
    assert list(approval) == ["approval_key"] and len(approval["approval_key"]) == 36
