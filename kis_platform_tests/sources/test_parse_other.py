"""KRX Open API samples and the KIS master files parse into typed rows."""

from __future__ import annotations

from datetime import date

import pandas as pd

from kis_platform.sources.kis import master
from kis_platform.sources.krx import daily as krx
from kis_platform_tests.sources.conftest import KRX_KEY, SAMPLES, replay


def test_krx_stock_daily(make_krx):
    seen = []

    def handler(request):
        seen.append(request)
        return replay("KRX_sto_stk_bydd_trd.json")(request)

    df = krx.stock_daily(make_krx(handler), "KOSPI", date(2020, 4, 14))
    row = df.iloc[0]
    assert seen[0].url.path == "/svc/apis/sto/stk_bydd_trd" and seen[0].url.params["basDd"] == "20200414"
    assert seen[0].headers["AUTH_KEY"] == KRX_KEY
    assert row["symbol"] == "338100" and row["close"] == 4715 and row["market_cap_krw"] == 87981900000
    assert row["trade_date"] == date(2020, 4, 14) and pd.isna(row["section"])  # "-" → null
    assert str(df["close"].dtype) == "Int64"
    ksq = krx.stock_daily(make_krx(replay("KRX_sto_ksq_bydd_trd.json")), "KOSDAQ", date(2020, 4, 14))
    assert ksq.iloc[0]["symbol"] == "950170" and ksq.iloc[0]["change_pct"] == 2.51


def test_krx_base_info_no_par_value(make_krx):
    df = krx.stock_base_info(make_krx(replay("KRX_sto_ksq_isu_base_info.json")), "KOSDAQ", date(2020, 4, 14))
    assert pd.isna(df.iloc[0]["par_value"]) and df.iloc[0]["listing_date"] == date(2012, 12, 17)
    df = krx.stock_base_info(make_krx(replay("KRX_sto_stk_isu_base_info.json")), "KOSPI", date(2020, 4, 14))
    assert df.iloc[0]["par_value"] == 500 and df.iloc[0]["isin"] == "KR7338100001"
    assert df.iloc[0]["listed_shares"] == 18660000


def test_krx_derivatives_dash_is_null(make_krx):
    fut = krx.futures_daily(make_krx(replay("KRX_drv_fut_bydd_trd.json")), date(2020, 4, 14))
    assert pd.isna(fut.iloc[0]["close"]) and fut.iloc[0]["spot_price"] == 247.45
    assert fut.iloc[0]["open_interest"] == 324159 and fut.iloc[0]["session"] == "야간"
    opt = krx.options_daily(make_krx(replay("KRX_drv_opt_bydd_trd.json")), date(2020, 4, 14))
    assert opt.iloc[0]["right"] == "CALL" and opt.iloc[0]["implied_vol"] == 3.0 and opt.iloc[0]["close"] == 84.75
    idx = krx.parse(__import__("json").loads((SAMPLES / "KRX_idx_drvprod_dd_trd.json").read_text()),
                    krx.INDEX_SPEC, "idx/drvprod_dd_trd")
    assert idx.iloc[0]["close"] == 1212.67 and pd.isna(idx.iloc[0]["volume"])


def test_kospi_master_lines():
    df = master.parse_stock_master((SAMPLES / "master_kospi_code.mst.lines.cp949.mst").read_bytes(), "KOSPI")
    sam = df.iloc[0]
    assert (sam["short_code"], sam["isin"], sam["name"], sam["group_code"]) == ("005930", "KR7005930003", "삼성전자", "ST")
    assert sam["base_price"] == 64700 and sam["prev_volume"] == 37566016 and sam["par_value"] == 100
    assert sam["listing_date"] == date(1975, 6, 11) and sam["listed_shares_thousands"] == 5969782
    assert sam["market_cap_100m_krw"] == 3862449 and sam["base_month"] == "20240630"
    assert sam["kospi200_sector"] == "5" and sam["is_kospi50"] and not sam["administrative"]
    kr = df.iloc[2]
    assert kr["name"] == "KR모터스" and kr["administrative"] and not kr["trading_halt"]
    assert str(df["base_price"].dtype) == "Int64" and str(df["administrative"].dtype) == "boolean"


def test_kosdaq_master_lines():
    df = master.parse_stock_master((SAMPLES / "master_kosdaq_code.mst.lines.cp949.mst").read_bytes(), "KOSDAQ")
    assert list(df["short_code"]) == ["247540", "0004Y0", "001000"]
    assert df.iloc[0]["is_kosdaq150"] and df.iloc[1]["is_spac"] and df.iloc[2]["administrative"]
    assert df.iloc[1]["listing_date"] == date(2025, 7, 22) and pd.isna(df.iloc[0]["kospi200_sector"])


def test_fo_index_master():
    text = ("1|A01606|KR4A01660005|F 202606| |00000.00|1|2001|KOSPI200\n"
            "B|A05606|KR4A05660001|미니F 202606| |00000.00|1|2001|KOSPI200\n").encode("cp949")
    df = master.parse_fo_index_master(text)
    assert list(df["short_code"]) == ["A01606", "A05606"] and df.iloc[1]["name"] == "미니F 202606"
    assert df.iloc[0]["strike"] == 0.0 and df.iloc[0]["underlying_code"] == "2001"
