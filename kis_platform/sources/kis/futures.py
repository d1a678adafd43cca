"""KOSPI200 / KOSDAQ150 futures from KIS: FHKIF03020200 (intraday bars, 102 a call) and FHMIF10000000 (quote).

Columns of `futures_minutes()`: symbol, bar_start (aware Asia/Seoul, bar start), trade_date, open, high, low, close
(index points, Float64), volume (contracts in the bar), cum_turnover_krw (KRW traded so far that day; KIS sends
thousands of KRW, converted here). Rows oldest first.

Columns of `futures_quote()` (one row): symbol, name, price, change (signed), change_pct, prev_close, open, high, low,
upper_limit, lower_limit, volume, turnover_krw, open_interest, open_interest_change, basis, market_basis,
base_price, theoretical_price, disparity_pct, last_trade_date, days_to_expiry, delta, gamma, theta, vega, rho,
kospi_index, kospi200_index.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.kis.common import FO_QUOTATIONS, MAX_PAGES, check_found
from kis_platform.sources.parse import apply_sign, frame, kst_times, output

TR_BARS, TR_QUOTE = "FHKIF03020200", "FHMIF10000000"
PAGE_ROWS = 102
BAR_SPEC = [("trade_date", "stck_bsop_date", "date"), ("hhmmss", "stck_cntg_hour", "str"),
            ("open", "futs_oprc", "float"), ("high", "futs_hgpr", "float"), ("low", "futs_lwpr", "float"),
            ("close", "futs_prpr", "float"), ("volume", "cntg_vol", "int"), ("cum_turnover_krw", "acml_tr_pbmn", "int")]
QUOTE_SPEC = [("name", "hts_kor_isnm", "str"), ("price", "futs_prpr", "float"), ("change", "futs_prdy_vrss", "float"),
              ("sign", "prdy_vrss_sign", "str"), ("change_pct", "futs_prdy_ctrt", "float"),
              ("prev_close", "futs_prdy_clpr", "float"), ("open", "futs_oprc", "float"), ("high", "futs_hgpr", "float"),
              ("low", "futs_lwpr", "float"), ("upper_limit", "futs_mxpr", "float"), ("lower_limit", "futs_llam", "float"),
              ("volume", "acml_vol", "int"), ("turnover_krw", "acml_tr_pbmn", "int"),
              ("open_interest", "hts_otst_stpl_qty", "int"), ("open_interest_change", "otst_stpl_qty_icdc", "int"),
              ("basis", "basis", "float"), ("market_basis", "mrkt_basis", "float?"), ("base_price", "futs_sdpr", "float"),
              ("theoretical_price", "hts_thpr", "float?"), ("disparity_pct", "dprt", "float?"),
              ("last_trade_date", "futs_last_tr_date", "date?"), ("days_to_expiry", "hts_rmnn_dynu", "int?"),
              ("delta", "delta_val", "float?"), ("gamma", "gama", "float?"), ("theta", "theta", "float?"),
              ("vega", "vega", "float?"), ("rho", "rho", "float?")]


def parse_futures_bars(data: dict, symbol: str, raw: str = "") -> pd.DataFrame:
    """One FHKIF03020200 page (output2, newest first) as typed bars, oldest first."""
    df = frame(output(data, "output2", TR_BARS, list, raw), BAR_SPEC, TR_BARS, raw)
    df.insert(0, "bar_start", kst_times(list(df["trade_date"]), list(df.pop("hhmmss").fillna(""))))
    df.insert(0, "symbol", pd.Series([symbol] * len(df), dtype="string"))
    df["cum_turnover_krw"] = df["cum_turnover_krw"] * 1000  # KIS sends thousands of KRW for F/O
    return df.sort_values("bar_start", kind="stable").reset_index(drop=True)


def futures_minutes(client: KisClient, symbol: str, day: date, *, until: str = "200000", since: str = "084500",
                    market: str = "F", interval_s: int = 60) -> pd.DataFrame:
    """Bars of futures `symbol` (e.g. 101W09 or A01606) on `day` between `since` and `until` (HHMMSS)."""
    params = {"FID_COND_MRKT_DIV_CODE": market, "FID_INPUT_ISCD": symbol, "FID_HOUR_CLS_CODE": str(interval_s),
              "FID_PW_DATA_INCU_YN": "Y", "FID_FAKE_TICK_INCU_YN": "N", "FID_INPUT_DATE_1": day.strftime("%Y%m%d"),
              "FID_INPUT_HOUR_1": until}
    pages: list[pd.DataFrame] = []
    seen: set[pd.Timestamp] = set()
    for _ in range(MAX_PAGES):
        reply = client.get(f"{FO_QUOTATIONS}/inquire-time-fuopchartprice", TR_BARS, params)
        output(reply.data, "output1", TR_BARS, dict, reply.text)
        check_found(reply, "output1", TR_BARS, symbol, "futs_prpr")
        page = parse_futures_bars(reply.data, symbol, reply.text)
        new = page[~page["bar_start"].isin(seen)]
        if new.empty:
            break
        pages.append(new)
        seen.update(new["bar_start"])
        oldest = page["bar_start"].min()  # a short page may be truncated: walk on until `since` or nothing new
        # Whether the input time is inclusive is not documented: resend the oldest and drop the duplicate.
        nxt = {"FID_INPUT_DATE_1": oldest.strftime("%Y%m%d"), "FID_INPUT_HOUR_1": oldest.strftime("%H%M%S")}
        if oldest.date() < day or nxt["FID_INPUT_HOUR_1"] <= since or all(params[k] == v for k, v in nxt.items()):
            break
        params = {**params, **nxt}
    if not pages:
        return parse_futures_bars({"output2": []}, symbol)
    df = pd.concat(pages, ignore_index=True).sort_values("bar_start", kind="stable")
    keep = (df["trade_date"] == day) & (df["bar_start"].dt.strftime("%H%M%S") >= since)
    return df[keep].reset_index(drop=True)


def parse_futures_quote(data: dict, symbol: str, raw: str = "") -> pd.DataFrame:
    """An FHMIF10000000 answer as one typed row."""
    df = frame([output(data, "output1", TR_QUOTE, dict, raw)], QUOTE_SPEC, TR_QUOTE, raw)
    df["change"] = apply_sign(df["change"], df.pop("sign"))
    df["turnover_krw"] = df["turnover_krw"] * 1000
    for key, col in (("output2", "kospi_index"), ("output3", "kospi200_index")):
        idx = frame([output(data, key, TR_QUOTE, dict, raw)], [(col, "bstp_nmix_prpr", "float")], TR_QUOTE, raw)
        df[col] = idx[col]
    df.insert(0, "symbol", pd.Series([symbol], dtype="string"))
    return df


def futures_quote(client: KisClient, symbol: str, *, market: str = "F") -> pd.DataFrame:
    """The current quote of futures `symbol`, with the KOSPI and KOSPI200 index levels."""
    reply = client.get(f"{FO_QUOTATIONS}/inquire-price", TR_QUOTE,
                       {"FID_COND_MRKT_DIV_CODE": market, "FID_INPUT_ISCD": symbol})
    output(reply.data, "output1", TR_QUOTE, dict, reply.text)
    check_found(reply, "output1", TR_QUOTE, symbol, "futs_prpr")
    return parse_futures_quote(reply.data, symbol, reply.text)
