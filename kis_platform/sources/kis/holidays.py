"""KRX trading calendar from KIS: CTCA0903R (국내휴장일조회), paged with ctx_area_nk/fk.

Columns: day (date), weekday_code (KIS wday_dvsn_cd: 01 Sunday … 07 Saturday), business_day, trading_day,
market_open (opnd_yn: whether the stock market opens that day; the one to use for sessions), settlement_day (all
boolean). KIS asks that this be called about once a day.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.kis.common import MAX_PAGES, QUOTATIONS
from kis_platform.sources.parse import frame, output

TR_HOLIDAY = "CTCA0903R"
SPEC = [("day", "bass_dt", "date"), ("weekday_code", "wday_dvsn_cd", "str"), ("business_day", "bzdy_yn", "yn"),
        ("trading_day", "tr_day_yn", "yn"), ("market_open", "opnd_yn", "yn"), ("settlement_day", "sttl_day_yn", "yn")]


def parse_holidays(data: dict, raw: str = "") -> pd.DataFrame:
    return frame(output(data, "output", TR_HOLIDAY, list, raw), SPEC, TR_HOLIDAY, raw)


def holidays(client: KisClient, start: date, end: date | None = None) -> pd.DataFrame:
    """Calendar days from `start` (to `end` if given, else what KIS returns in its continuation pages)."""
    params = {"BASS_DT": start.strftime("%Y%m%d"), "CTX_AREA_NK": "", "CTX_AREA_FK": ""}
    pages, tr_cont = [], ""
    for _ in range(MAX_PAGES):
        reply = client.get(f"{QUOTATIONS}/chk-holiday", TR_HOLIDAY, params, tr_cont=tr_cont)
        page = parse_holidays(reply.data, reply.text)
        pages.append(page)
        more = reply.tr_cont in ("M", "F") or reply.data.get("msg_cd") == "KIOK0500"
        nk, fk = str(reply.data.get("ctx_area_nk", "")), str(reply.data.get("ctx_area_fk", ""))
        if not more or page.empty or not nk.strip() or end is None or max(page["day"]) >= end:
            break
        params, tr_cont = {**params, "CTX_AREA_NK": nk, "CTX_AREA_FK": fk}, "N"
    df = pd.concat(pages, ignore_index=True).drop_duplicates("day")
    if end is not None:
        df = df[df["day"] <= end]
    return df.sort_values("day", kind="stable").reset_index(drop=True)
