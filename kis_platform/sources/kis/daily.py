"""Daily stock bars from KIS: FHKST03010100 (any date range, paged) and FHKST01010400 (last 30 days/weeks/months).

Columns of `daily_bars()`: symbol, trade_date (date, KST trading day), open, high, low, close (KRW, Int64), volume
(shares), turnover_krw (KRW traded), change (KRW vs the previous close, signed), ex_right_code (KIS flng_cls_code:
00 none, 01 rights, 02 dividend … ex-date marker), split_rate (prtt_rate), modified (mod_yn: the row was adjusted),
adjusted (whether prices are split/dividend-adjusted as requested). Rows oldest first.

Columns of `recent_daily()`: symbol, trade_date, open, high, low, close, volume, change, change_pct,
volume_change_pct (vs the previous period), foreign_holding_pct, foreign_net_qty, ex_right_code, cum_split_rate.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.kis.common import MAX_PAGES, QUOTATIONS, check_found
from kis_platform.sources.parse import apply_sign, frame, output

TR_CHART, TR_RECENT = "FHKST03010100", "FHKST01010400"
PAGE_ROWS = 100
CHART_SPEC = [("trade_date", "stck_bsop_date", "date"), ("open", "stck_oprc", "int"), ("high", "stck_hgpr", "int"),
              ("low", "stck_lwpr", "int"), ("close", "stck_clpr", "int"), ("volume", "acml_vol", "int"),
              ("turnover_krw", "acml_tr_pbmn", "int"), ("change", "prdy_vrss", "int"),
              ("sign", "prdy_vrss_sign", "str"), ("ex_right_code", "flng_cls_code", "str?"),
              ("split_rate", "prtt_rate", "float?"), ("modified", "mod_yn", "yn?")]
RECENT_SPEC = [("trade_date", "stck_bsop_date", "date"), ("open", "stck_oprc", "int"), ("high", "stck_hgpr", "int"),
               ("low", "stck_lwpr", "int"), ("close", "stck_clpr", "int"), ("volume", "acml_vol", "int"),
               ("change", "prdy_vrss", "int"), ("sign", "prdy_vrss_sign", "str"), ("change_pct", "prdy_ctrt", "float"),
               ("volume_change_pct", "prdy_vrss_vol_rate", "float?"), ("foreign_holding_pct", "hts_frgn_ehrt", "float?"),
               ("foreign_net_qty", "frgn_ntby_qty", "int?"), ("ex_right_code", "flng_cls_code", "str?"),
               ("cum_split_rate", "acml_prtt_rate", "float?")]


def _finish(df: pd.DataFrame, symbol: str) -> pd.DataFrame:
    df["change"] = apply_sign(df["change"], df.pop("sign"))
    df.insert(0, "symbol", pd.Series([symbol] * len(df), dtype="string"))
    return df.sort_values("trade_date", kind="stable").reset_index(drop=True)


def parse_daily_chart(data: dict, symbol: str, raw: str = "") -> pd.DataFrame:
    """One FHKST03010100 page (output2, newest first) as typed rows."""
    return frame(output(data, "output2", TR_CHART, list, raw), CHART_SPEC, TR_CHART, raw)


def daily_bars(client: KisClient, symbol: str, start: date, end: date, *, adjusted: bool = False,
               market: str = "J", period: str = "D") -> pd.DataFrame:
    """Daily (or W/M/Y) bars of `symbol` between `start` and `end`, paging back 100 rows at a time."""
    pages: list[pd.DataFrame] = []
    upper = end
    for _ in range(MAX_PAGES):
        params = {"FID_COND_MRKT_DIV_CODE": market, "FID_INPUT_ISCD": symbol,
                  "FID_INPUT_DATE_1": start.strftime("%Y%m%d"), "FID_INPUT_DATE_2": upper.strftime("%Y%m%d"),
                  "FID_PERIOD_DIV_CODE": period, "FID_ORG_ADJ_PRC": "0" if adjusted else "1"}
        reply = client.get(f"{QUOTATIONS}/inquire-daily-itemchartprice", TR_CHART, params)
        output(reply.data, "output1", TR_CHART, dict, reply.text)
        check_found(reply, "output1", TR_CHART, symbol)
        page = parse_daily_chart(reply.data, symbol, reply.text)
        page = page[page["trade_date"].notna()]
        if page.empty:
            break
        pages.append(page)
        # Not stopping at a short page: a truncated answer must not end the walk before `start`.
        oldest = min(page["trade_date"])
        if oldest <= start or oldest > upper:
            break
        upper = oldest - timedelta(days=1)
    df = pd.concat(pages, ignore_index=True) if pages else parse_daily_chart({"output2": []}, symbol)
    df = df.astype(parse_daily_chart({"output2": []}, symbol).dtypes.to_dict())
    df = df[(df["trade_date"] >= start) & (df["trade_date"] <= end)].drop_duplicates("trade_date")
    df = _finish(df.reset_index(drop=True), symbol)
    df["adjusted"] = pd.Series([adjusted] * len(df), dtype="boolean")
    return df


def parse_recent_daily(data: dict, symbol: str, raw: str = "") -> pd.DataFrame:
    """An FHKST01010400 answer (output, newest first) as typed rows, oldest first."""
    return _finish(frame(output(data, "output", TR_RECENT, list, raw), RECENT_SPEC, TR_RECENT, raw), symbol)


def recent_daily(client: KisClient, symbol: str, *, period: str = "D", adjusted: bool = True,
                 market: str = "J") -> pd.DataFrame:
    """The last 30 days (period D), weeks (W, dated by their first day) or months (M) of `symbol`."""
    # DOC26 documents FID_ORG_ADJ_PRC 1 = adjusted for this TR (the reverse of FHKST03010100); see kis-api §13.
    params = {"FID_COND_MRKT_DIV_CODE": market, "FID_INPUT_ISCD": symbol, "FID_PERIOD_DIV_CODE": period,
              "FID_ORG_ADJ_PRC": "1" if adjusted else "0"}
    reply = client.get(f"{QUOTATIONS}/inquire-daily-price", TR_RECENT, params)
    return parse_recent_daily(reply.data, symbol, reply.text)
