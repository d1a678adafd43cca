"""KOSPI200 option board from KIS: FHPIO056104C0 (listed expiries) and FHPIF05030100 (the chain of one expiry).

Columns of `option_expiries()`: expiry_code (KIS mtrt_yymm_code, e.g. 0W06), expiry_month (YYYYMM string; the form
FHPIF05030100 takes). Columns of `option_board()` (one row per strike and side, calls then puts, strikes ascending):
right ("call"/"put"), symbol (option short code), strike (index points), price, change (signed), change_pct, bid,
ask, bid_size, ask_size, iv (KIS HTS implied volatility, %), delta, gamma, theta, vega, rho, theoretical_price,
intrinsic_value, time_value, hist_vol (%), volume (contracts), turnover_krw (KIS unit: thousands of KRW, converted),
open_interest, open_interest_change, open, high, low, moneyness (KIS atm_cls_name: ATM/ITM/OTM), is_atm.
The board is a snapshot: it cannot be fetched for the past.
"""

from __future__ import annotations

import pandas as pd

from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.kis.common import FO_QUOTATIONS
from kis_platform.sources.parse import apply_sign, frame, output

TR_EXPIRIES, TR_BOARD = "FHPIO056104C0", "FHPIF05030100"
EXPIRY_SPEC = [("expiry_code", "mtrt_yymm_code", "str"), ("expiry_month", "mtrt_yymm", "str")]
BOARD_SPEC = [("symbol", "optn_shrn_iscd", "str"), ("strike", "acpr", "float"), ("price", "optn_prpr", "float"),
              ("change", "optn_prdy_vrss", "float"), ("sign", "prdy_vrss_sign", "str"),
              ("change_pct", "optn_prdy_ctrt", "float"), ("bid", "optn_bidp", "float"), ("ask", "optn_askp", "float"),
              ("bid_size", "shnu_rsqn", "int"), ("ask_size", "seln_rsqn", "int"), ("iv", "hts_ints_vltl", "float"),
              ("delta", "delta_val", "float"), ("gamma", "gama", "float"), ("theta", "theta", "float"),
              ("vega", "vega", "float"), ("rho", "rho", "float"), ("theoretical_price", "hts_thpr", "float"),
              ("intrinsic_value", "invl_val", "float?"), ("time_value", "tmvl_val", "float?"),
              ("hist_vol", "hist_vltl", "float?"), ("volume", "acml_vol", "int"),
              ("turnover_krw", "acml_tr_pbmn", "int"), ("open_interest", "hts_otst_stpl_qty", "int"),
              ("open_interest_change", "otst_stpl_qty_icdc", "int"), ("open", "optn_oprc", "float"),
              ("high", "optn_hgpr", "float"), ("low", "optn_lwpr", "float"), ("moneyness", "atm_cls_name", "str")]


def parse_option_expiries(data: dict, raw: str = "") -> pd.DataFrame:
    return frame(output(data, "output", TR_EXPIRIES, list, raw), EXPIRY_SPEC, TR_EXPIRIES, raw)


def option_expiries(client: KisClient) -> pd.DataFrame:
    """Expiry months listed on the KOSPI200 option board."""
    params = {"FID_COND_SCR_DIV_CODE": "509", "FID_COND_MRKT_DIV_CODE": "", "FID_COND_MRKT_CLS_CODE": ""}
    reply = client.get(f"{FO_QUOTATIONS}/display-board-option-list", TR_EXPIRIES, params)
    return parse_option_expiries(reply.data, reply.text)


def parse_option_board(data: dict, raw: str = "") -> pd.DataFrame:
    """An FHPIF05030100 answer: output1 (calls) and output2 (puts), each capped at 100 strikes by KIS."""
    sides = []
    for key, right in (("output1", "call"), ("output2", "put")):
        df = frame(output(data, key, TR_BOARD, list, raw), BOARD_SPEC, TR_BOARD, raw)
        df["change"] = apply_sign(df["change"], df.pop("sign"))
        df.insert(0, "right", pd.Series([right] * len(df), dtype="string"))
        sides.append(df.sort_values("strike", kind="stable"))
    df = pd.concat(sides, ignore_index=True)
    df["turnover_krw"] = df["turnover_krw"] * 1000
    df["moneyness"] = df["moneyness"].str.strip().str.upper()
    df["is_atm"] = (df["moneyness"] == "ATM").astype("boolean")
    return df


def option_board(client: KisClient, expiry_month: str, *, product: str = "") -> pd.DataFrame:
    """The chain of expiry `expiry_month` (YYYYMM, or YYMMWW for weeklies); product "" KOSPI200, MKI mini,
    WKM/WKI weeklies, KQI KOSDAQ150. Sent at most once a second across all processes (KIS advice)."""
    params = {"FID_COND_MRKT_DIV_CODE": "O", "FID_COND_SCR_DIV_CODE": "20503", "FID_MRKT_CLS_CODE": "CO",
              "FID_MTRT_CNT": expiry_month, "FID_COND_MRKT_CLS_CODE": product, "FID_MRKT_CLS_CODE1": "PO"}
    reply = client.get(f"{FO_QUOTATIONS}/display-board-callput", TR_BOARD, params, bucket="kis_option_board")
    return parse_option_board(reply.data, reply.text)
