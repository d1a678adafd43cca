"""Investor flows by stock from KIS: FHKST01010900 (about 30 days, three investor groups) and FHPTJ04160001
(one day and earlier, the full split including pension funds).

Per investor group `g` the columns are g_net_qty / g_buy_qty / g_sell_qty (shares) and g_net_value_mkrw /
g_buy_value_mkrw / g_sell_value_mkrw (millions of KRW). Groups of `investor_flows()`: individual, foreign,
institution. Groups of `investor_flows_detail()` add foreign_registered, foreign_other, securities,
investment_trust, private_fund, bank, insurance, merchant_bank, pension_fund (KIS fund_*: 연기금), other,
other_corp, other_org. Both also give symbol, trade_date, close (KRW) and change (signed, KRW). Today's row is null
until KIS publishes after the close; rows oldest first.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.kis.common import MAX_PAGES, QUOTATIONS
from kis_platform.sources.parse import apply_sign, frame, output

TR_FLOWS, TR_DETAIL = "FHKST01010900", "FHPTJ04160001"
BASE_SPEC = [("trade_date", "stck_bsop_date", "date"), ("close", "stck_clpr", "int"), ("change", "prdy_vrss", "int"),
             ("sign", "prdy_vrss_sign", "str")]
GROUPS = {"prsn": "individual", "frgn": "foreign", "orgn": "institution"}
DETAIL_GROUPS = {**GROUPS, "scrt": "securities", "ivtr": "investment_trust", "pe_fund": "private_fund",
                 "bank": "bank", "insu": "insurance", "mrbn": "merchant_bank", "fund": "pension_fund",
                 "etc": "other", "etc_corp": "other_corp", "etc_orgt": "other_org"}
# KIS names the net quantity of these groups *_ntby_vol instead of *_ntby_qty.
_NET_VOL = {"pe_fund", "etc_corp", "etc_orgt"}


def _group_spec(k: str, name: str, detail: bool) -> list[tuple[str, str, str]]:
    net_qty = f"{k}_ntby_vol" if detail and k in _NET_VOL else f"{k}_ntby_qty"
    return [(f"{name}_net_qty", net_qty, "int"), (f"{name}_net_value_mkrw", f"{k}_ntby_tr_pbmn", "int"),
            (f"{name}_buy_qty", f"{k}_shnu_vol", "int"), (f"{name}_buy_value_mkrw", f"{k}_shnu_tr_pbmn", "int"),
            (f"{name}_sell_qty", f"{k}_seln_vol", "int"), (f"{name}_sell_value_mkrw", f"{k}_seln_tr_pbmn", "int")]


FLOWS_SPEC = BASE_SPEC + [c for k, n in GROUPS.items() for c in _group_spec(k, n, False)]
DETAIL_SPEC = (BASE_SPEC + [("open", "stck_oprc", "int"), ("high", "stck_hgpr", "int"), ("low", "stck_lwpr", "int"),
                            ("volume", "acml_vol", "int"), ("turnover_krw", "acml_tr_pbmn", "int")]
               + [c for k, n in DETAIL_GROUPS.items() for c in _group_spec(k, n, True)]
               + [(f"{name}_{col}", f"{k}_{src}", "int") for k, name in (("frgn_reg", "foreign_registered"),
                                                                          ("frgn_nreg", "foreign_other"))
                  for col, src in (("net_qty", "ntby_qty"), ("net_value_mkrw", "ntby_pbmn"), ("buy_qty", "bidp_qty"),
                                   ("buy_value_mkrw", "bidp_pbmn"), ("sell_qty", "askp_qty"),
                                   ("sell_value_mkrw", "askp_pbmn"))])


def _finish(df: pd.DataFrame, symbol: str) -> pd.DataFrame:
    df["change"] = apply_sign(df["change"], df.pop("sign"))
    df.insert(0, "symbol", pd.Series([symbol] * len(df), dtype="string"))
    return df.sort_values("trade_date", kind="stable").reset_index(drop=True)


def parse_investor_flows(data: dict, symbol: str, raw: str = "") -> pd.DataFrame:
    return _finish(frame(output(data, "output", TR_FLOWS, list, raw), FLOWS_SPEC, TR_FLOWS, raw), symbol)


def investor_flows(client: KisClient, symbol: str, *, market: str = "J") -> pd.DataFrame:
    """About the last 30 trading days of individual / foreign / institution flows in `symbol`."""
    reply = client.get(f"{QUOTATIONS}/inquire-investor", TR_FLOWS,
                       {"FID_COND_MRKT_DIV_CODE": market, "FID_INPUT_ISCD": symbol})
    return parse_investor_flows(reply.data, symbol, reply.text)


def parse_investor_flows_detail(data: dict, symbol: str, raw: str = "") -> pd.DataFrame:
    return _finish(frame(output(data, "output2", TR_DETAIL, list, raw), DETAIL_SPEC, TR_DETAIL, raw), symbol)


def investor_flows_detail(client: KisClient, symbol: str, day: date, *, start: date | None = None,
                          market: str = "J") -> pd.DataFrame:
    """The full investor split of `symbol` from `start` (default: `day` only) to `day`.

    Pages with tr_cont (DOC26 documents it for this TR) when the answer says more follows, otherwise by moving
    FID_INPUT_DATE_1 to the day before the oldest row, until `start` is covered or nothing new comes back.
    """
    start = start or day
    params = {"FID_COND_MRKT_DIV_CODE": market, "FID_INPUT_ISCD": symbol, "FID_INPUT_DATE_1": day.strftime("%Y%m%d"),
              "FID_ORG_ADJ_PRC": "", "FID_ETC_CLS_CODE": "1"}
    pages: list[pd.DataFrame] = []
    seen: set[date] = set()
    tr_cont = ""
    for _ in range(MAX_PAGES):
        reply = client.get(f"{QUOTATIONS}/investor-trade-by-stock-daily", TR_DETAIL, params, tr_cont=tr_cont)
        page = parse_investor_flows_detail(reply.data, symbol, reply.text)
        new = page[~page["trade_date"].isin(seen)]
        if new.empty:
            break
        pages.append(new)
        seen.update(new["trade_date"])
        oldest = min(new["trade_date"])
        if oldest <= start:
            break
        if reply.tr_cont in ("M", "F"):
            tr_cont = "N"
        else:
            tr_cont = ""
            params = {**params, "FID_INPUT_DATE_1": (oldest - timedelta(days=1)).strftime("%Y%m%d")}
    if not pages:
        return parse_investor_flows_detail({"output2": []}, symbol)
    df = pd.concat(pages, ignore_index=True)
    df = df[(df["trade_date"] >= start) & (df["trade_date"] <= day)]
    return df.sort_values("trade_date", kind="stable").reset_index(drop=True)
