"""Every real KIS sample parses into typed rows with the right values, nulls, signs and Asia/Seoul times."""

from __future__ import annotations

from datetime import date

import pandas as pd

from kis_platform.sources.kis import daily, flows, futures, holidays, minutes, options
from kis_platform_tests.sources.conftest import replay, sample, sample_text

KST = "datetime64[ns, Asia/Seoul]"


def test_daily_chart_sample(make_kis):
    client = make_kis(replay("FHKST03010100_inquire-daily-itemchartprice.json"))
    df = daily.daily_bars(client, "005930", date(2024, 5, 1), date(2024, 5, 31))
    assert len(df) == 1
    row = df.iloc[0]
    assert row["trade_date"] == date(2024, 5, 10)
    assert (row["open"], row["high"], row["low"], row["close"]) == (80400, 81100, 78900, 79200)
    assert row["volume"] == 16976124 and row["turnover_krw"] == 1351235284800
    assert row["change"] == -500 and not row["modified"] and row["ex_right_code"] == "00"
    assert str(df["close"].dtype) == "Int64" and str(df["turnover_krw"].dtype) == "Int64"
    assert str(df["split_rate"].dtype) == "Float64" and str(df["symbol"].dtype) == "string"
    assert bool(df["adjusted"].iloc[0]) is False


def test_recent_daily_samples(make_kis):
    df = daily.parse_recent_daily(sample("FHKST01010400_inquire-daily-price.json"), "005930")
    assert list(df["trade_date"]) == [date(2024, 5, 20), date(2024, 5, 27), date(2024, 6, 3), date(2024, 6, 10)]
    last = df.iloc[-1]
    assert (last["close"], last["volume"], last["change"]) == (75700, 14598755, -1600)
    assert last["change_pct"] == -2.07 and last["foreign_holding_pct"] == 55.34 and last["foreign_net_qty"] == -1784782
    assert df.iloc[2]["change"] == 3800  # sign 2 (up)
    alt = daily.parse_recent_daily(sample("FHKST01010400_inquire-daily-price__alt1_official-doc.json"), "005930")
    assert list(alt["change"]) == [-2500, 3500]
    assert str(alt["change_pct"].dtype) == "Float64"


def test_today_minutes_sample(make_kis):
    client = make_kis(replay("FHKST03010200_inquire-time-itemchartprice.json"))
    df = minutes.today_minutes(client, "005930", until="125000")
    assert str(df["bar_start"].dtype) == KST
    assert list(df["bar_start"]) == [pd.Timestamp("2024-06-11 12:49", tz="Asia/Seoul"),
                                     pd.Timestamp("2024-06-11 12:50", tz="Asia/Seoul")]
    last = df.iloc[-1]
    assert (last["open"], last["high"], last["low"], last["close"], last["volume"]) == (75300, 75400, 75300, 75300, 69449)
    assert last["cum_turnover_krw"] - df.iloc[0]["cum_turnover_krw"] == 677732980500 - 672499305400
    assert str(df["volume"].dtype) == "Int64"


def test_past_minutes_sample(make_kis):
    client = make_kis(replay("FHKST03010230_inquire-time-dailychartprice.json"))
    df = minutes.day_minutes(client, "005930", date(2024, 11, 8), until="140000")
    assert len(df) == 3
    assert df["bar_start"].iloc[0] == pd.Timestamp("2024-11-08 12:01", tz="Asia/Seoul")
    assert df["bar_start"].iloc[-1] == pd.Timestamp("2024-11-08 14:00", tz="Asia/Seoul")
    assert df.iloc[-1]["close"] == 57300 and df.iloc[0]["volume"] == 3856


def test_investor_flows_today_row_is_null():
    df = flows.parse_investor_flows(sample("FHKST01010900_inquire-investor.json"), "005930")
    today = df[df["trade_date"] == date(2024, 6, 11)].iloc[0]
    assert pd.isna(today["individual_net_qty"]) and pd.isna(today["foreign_sell_value_mkrw"])
    assert today["close"] == 75700
    prev = df[df["trade_date"] == date(2024, 6, 10)].iloc[0]
    assert prev["individual_net_qty"] == 4101492 and prev["foreign_net_value_mkrw"] == -143714
    assert prev["institution_sell_qty"] == 6773382 and prev["change"] == -1600
    assert str(df["foreign_net_qty"].dtype) == "Int64"
    alt = flows.parse_investor_flows(sample("FHKST01010900_inquire-investor__alt1_official-doc.json"), "005930")
    assert alt.iloc[-1]["foreign_buy_qty"] == 1442791


def test_investor_flows_detail_pension_fund(make_kis):
    client = make_kis(replay("FHPTJ04160001_investor-trade-by-stock-daily.json"))
    df = flows.investor_flows_detail(client, "005930", date(2025, 8, 11))
    row = df.iloc[0]
    assert row["trade_date"] == date(2025, 8, 11) and row["close"] == 71000 and row["change"] == -800
    assert row["pension_fund_net_qty"] == -113436 and row["pension_fund_net_value_mkrw"] == -8301
    assert row["private_fund_net_qty"] == -125032  # KIS names this one pe_fund_ntby_vol
    assert row["foreign_registered_net_qty"] == -2031350 and row["foreign_other_buy_qty"] == 8033
    assert row["individual_net_qty"] == 1686273 and row["turnover_krw"] == 808470078650


def test_futures_minutes_sample(make_kis):
    client = make_kis(replay("FHKIF03020200_inquire-time-fuopchartprice.json"))
    df = futures.futures_minutes(client, "101V09", date(2024, 4, 17), until="141500", interval_s=30)
    assert len(df) == 4 and str(df["close"].dtype) == "Float64"
    assert df["bar_start"].iloc[-1] == pd.Timestamp("2024-04-17 14:15", tz="Asia/Seoul")
    assert df["bar_start"].iloc[0] == pd.Timestamp("2024-04-17 14:13:30", tz="Asia/Seoul")
    assert df.iloc[-1]["close"] == 359.6 and df.iloc[-1]["volume"] == 0
    assert df.iloc[-1]["cum_turnover_krw"] == 31394925 * 1000


def test_futures_quote_sample(make_kis):
    df = futures.futures_quote(make_kis(replay("FHMIF10000000_inquire-price.json")), "101S03")
    row = df.iloc[0]
    assert row["name"] == "F 202203" and row["price"] == 395.0 and row["change"] == 6.7
    assert row["open_interest"] == 247121 and row["open_interest_change"] == -592
    assert row["last_trade_date"] == date(2022, 3, 10) and row["days_to_expiry"] == 58
    assert row["kospi_index"] == 2972.48 and row["kospi200_index"] == 394.66 and row["delta"] == 1.0


def test_option_expiries_and_board(make_kis):
    exp = options.parse_option_expiries(sample("FHPIO056104C0_display-board-option-list.json"))
    assert len(exp) == 11 and exp.iloc[0]["expiry_code"] == "0V05" and exp.iloc[0]["expiry_month"] == "202405"
    assert exp.iloc[-1]["expiry_month"] == "202612"
    df = options.option_board(make_kis(replay("FHPIF05030100_display-board-callput.json")), "202405")
    call, put = df[df["right"] == "call"].iloc[0], df[df["right"] == "put"].iloc[0]
    assert call["symbol"] == "201V05480" and call["strike"] == 480.0 and call["iv"] == 31.5614
    assert call["theta"] == 0.0 and call["ask"] == 0.01 and call["ask_size"] == 1710 and call["open_interest"] == 642
    assert call["moneyness"] == "OTM" and not call["is_atm"]
    assert put["delta"] == -1.0 and put["rho"] == -0.3541 and put["theoretical_price"] == 111.51
    assert put["moneyness"] == "ITM" and put["intrinsic_value"] == 112.75
    assert str(df["gamma"].dtype) == "Float64" and str(df["is_atm"].dtype) == "boolean"


def test_holidays_samples(make_kis):
    df = holidays.parse_holidays(sample("CTCA0903R_chk-holiday__alt1_official-doc.json"))
    dec30 = df[df["day"] == date(2022, 12, 30)].iloc[0]
    assert dec30["business_day"] and not dec30["market_open"] and not dec30["settlement_day"]
    assert str(df["market_open"].dtype) == "boolean"
    client = make_kis(replay("CTCA0903R_chk-holiday.json"))
    df = holidays.holidays(client, date(2024, 6, 11))
    assert list(df["day"]) == [date(2024, 6, 11), date(2024, 6, 12), date(2024, 6, 13)]


def test_samples_keep_raw_text():
    assert "itewhol_loan_rmnd_ratem name" in sample_text("FHKST03010100_inquire-daily-itemchartprice.json")
