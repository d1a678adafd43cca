"""One-minute stock bars from KIS: FHKST03010200 (today, 30 rows a call) and FHKST03010230 (a past day, 120).

Columns: symbol, bar_start (aware Asia/Seoul; a bar is labelled by its start, 09:00 covers 09:00:00-09:00:59),
trade_date, open, high, low, close (KRW, Int64), volume (shares traded in the minute), cum_turnover_krw (KRW traded
so far that day up to the end of this bar; per-bar turnover is its difference). Rows oldest first, one per minute
with trades. During the session the newest bar of today's answer is still forming: callers decide finality.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.kis.common import MAX_PAGES, QUOTATIONS, check_found
from kis_platform.sources.parse import frame, kst_times, output

TR_TODAY, TR_PAST = "FHKST03010200", "FHKST03010230"
TODAY_ROWS, PAST_ROWS = 30, 120
BAR_SPEC = [("trade_date", "stck_bsop_date", "date"), ("hhmmss", "stck_cntg_hour", "str"),
            ("open", "stck_oprc", "int"), ("high", "stck_hgpr", "int"), ("low", "stck_lwpr", "int"),
            ("close", "stck_prpr", "int"), ("volume", "cntg_vol", "int"), ("cum_turnover_krw", "acml_tr_pbmn", "int")]
# Later than any session (CSAT days close at 16:30, Nextrade at 20:00); KIS treats a future time as "now".
DAY_END = "200000"
COLUMNS = ["symbol", "bar_start", "trade_date", "open", "high", "low", "close", "volume", "cum_turnover_krw"]


def parse_minute_page(data: dict, tr_id: str, symbol: str, raw: str = "") -> pd.DataFrame:
    """One page (output2, newest first) as typed bars, oldest first."""
    df = frame(output(data, "output2", tr_id, list, raw), BAR_SPEC, tr_id, raw)
    df.insert(0, "bar_start", kst_times(list(df["trade_date"]), list(df.pop("hhmmss").fillna(""))))
    df.insert(0, "symbol", pd.Series([symbol] * len(df), dtype="string"))
    return df[COLUMNS].sort_values("bar_start", kind="stable").reset_index(drop=True)


def _minus_minute(hhmmss: str) -> str:
    t = datetime.strptime(hhmmss, "%H%M%S") - timedelta(minutes=1)
    return t.strftime("%H%M%S")


def _page_back(client: KisClient, tr_id: str, path: str, params: dict[str, str], symbol: str, since: str,
               inclusive: bool) -> pd.DataFrame:
    pages: list[pd.DataFrame] = []
    seen: set[pd.Timestamp] = set()
    for _ in range(MAX_PAGES):
        reply = client.get(path, tr_id, params)
        output(reply.data, "output1", tr_id, dict, reply.text)
        check_found(reply, "output1", tr_id, symbol)
        page = parse_minute_page(reply.data, tr_id, symbol, reply.text)
        if pages:  # bars of another day mean this day is exhausted
            page = page[page["trade_date"] == pages[0]["trade_date"].iloc[0]]
        new = page[~page["bar_start"].isin(seen)]
        if new.empty:
            break
        pages.append(new)
        seen.update(new["bar_start"])
        # A short page does not end the walk: a truncated answer looks the same as the start of the day, so the
        # walk stops only at `since` or when the source has nothing older.
        oldest = page["bar_start"].min().strftime("%H%M%S")
        # FHKST03010230 answers from the input time inclusive, so the boundary bar comes back (deduped above).
        nxt = oldest if inclusive else _minus_minute(oldest)
        if oldest <= since or oldest == "000000":
            break
        params = {**params, "FID_INPUT_HOUR_1": nxt}
    if not pages:
        return parse_minute_page({"output2": []}, tr_id, symbol)
    df = pd.concat(pages, ignore_index=True)
    return df.sort_values("bar_start", kind="stable").reset_index(drop=True)


def today_minutes(client: KisClient, symbol: str, *, until: str = DAY_END, since: str = "090000",
                  market: str = "J") -> pd.DataFrame:
    """Today's bars of `symbol` from `since` to `until` (HHMMSS; a future time means "now")."""
    params = {"FID_ETC_CLS_CODE": "", "FID_COND_MRKT_DIV_CODE": market, "FID_INPUT_ISCD": symbol,
              "FID_INPUT_HOUR_1": until, "FID_PW_DATA_INCU_YN": "N"}
    df = _page_back(client, TR_TODAY, f"{QUOTATIONS}/inquire-time-itemchartprice", params, symbol, since,
                    inclusive=False)
    return df[df["bar_start"].dt.strftime("%H%M%S") >= since].reset_index(drop=True)


def day_minutes(client: KisClient, symbol: str, day: date, *, until: str = DAY_END, since: str = "090000",
                market: str = "J") -> pd.DataFrame:
    """All bars of `symbol` on the past trading day `day` (KIS keeps about one year) from `since` to `until`."""
    params = {"FID_COND_MRKT_DIV_CODE": market, "FID_INPUT_ISCD": symbol, "FID_INPUT_HOUR_1": until,
              "FID_INPUT_DATE_1": day.strftime("%Y%m%d"), "FID_PW_DATA_INCU_YN": "N", "FID_FAKE_TICK_INCU_YN": ""}
    df = _page_back(client, TR_PAST, f"{QUOTATIONS}/inquire-time-dailychartprice", params, symbol, since,
                    inclusive=True)
    keep = (df["trade_date"] == day) & (df["bar_start"].dt.strftime("%H%M%S") >= since)
    return df[keep].reset_index(drop=True)
