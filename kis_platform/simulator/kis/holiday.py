"""CTCA0903R chk-holiday: calendar days from BASS_DT on, 24 per page, continued with CTX_AREA_NK and tr_cont N."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from kis_platform.simulator.kis import fmt
from kis_platform.simulator.kis.fmt import yyyymmdd
from kis_platform.simulator.kis.gateway import Ctx, Tr, register
from kis_platform.simulator.kis.stocks import Q, parse_date

PAGE_DAYS = 24  # the real pages (samples) hold 24 days
MORE = ("KIOK0500", "조회가 계속됩니다..다음버튼을 Click 하십시오.")


def chk_holiday(ctx: Ctx) -> tuple[dict[str, Any], str]:
    cal = ctx.state.market.cal
    nk = ctx.p("CTX_AREA_NK")
    start = parse_date(ctx.p("BASS_DT"), ctx.now.date())
    if ctx.tr_cont.upper() == "N" and nk:
        start = parse_date(nk, start) + timedelta(days=1)
    last_day = date(ctx.now.year + 1, 12, 31)
    days = [start + timedelta(days=k) for k in range(PAGE_DAYS) if start + timedelta(days=k) <= last_day]
    rows = []
    for d in days:
        opened = cal.is_session(d)
        weekday = d.weekday() < 5
        # a weekday closed day in the last days of December is the year-end closure, still a business day
        business = opened or (weekday and d.month == 12 and d.day >= 29)
        rows.append({"bass_dt": yyyymmdd(d), "wday_dvsn_cd": f"{(d.isoweekday() % 7) + 1:02d}",
                     "bzdy_yn": "Y" if business else "N", "tr_day_yn": "Y", "opnd_yn": "Y" if opened else "N",
                     "sttl_day_yn": "Y" if opened else "N"})
    more = bool(days) and days[-1] < last_day
    head = {"ctx_area_nk": f"{yyyymmdd(days[-1]) if days else '':<20}", "ctx_area_fk": f"{yyyymmdd(start):<20}"}
    body = {**head, "output": rows}
    return (fmt.envelope(body, *MORE) if more else fmt.envelope(body)), ("M" if more else "D")


register(Q + "chk-holiday", Tr("CTCA0903R", chk_holiday, real_only=True))
