"""Stock chart TRs: daily chart (FHKST03010100), daily prices (FHKST01010400), today's minutes (FHKST03010200),
past-day minutes (FHKST03010230)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import numpy as np

from kis_platform.simulator.baddata import RowSpec
from kis_platform.simulator.kis import fmt
from kis_platform.simulator.kis.fmt import KisError, f2, i, rate, sign, yyyymmdd
from kis_platform.simulator.kis.gateway import Ctx, Tr, register
from kis_platform.simulator.kis.snapshot import Snap, quote_sides, snapshot
from kis_platform.simulator.market import Market
from kis_platform.simulator.market.minutes import Bars
from kis_platform.simulator.market.universe import Stock

Q = "/uapi/domestic-stock/v1/quotations/"
MINUTE_RETENTION_DAYS = 365
CHART_KEYS = ("prdy_vrss", "prdy_vrss_sign", "prdy_ctrt", "stck_prdy_clpr", "acml_vol", "acml_tr_pbmn",
              "hts_kor_isnm", "stck_prpr")


def stock_or_none(ctx: Ctx) -> Stock | None:
    code = ctx.p("FID_INPUT_ISCD")
    if not code:
        raise KisError(*fmt.BAD_INPUT, status=200)
    return ctx.state.market.stock(code)


def parse_date(text: str, default: date) -> date:
    try:
        return datetime.strptime(text[-8:], "%Y%m%d").date() if text else default
    except ValueError:
        raise KisError(*fmt.BAD_INPUT, status=200) from None


def chart_output1(m: Market, s: Stock | None, snap: Snap | None, now: datetime) -> dict[str, str]:
    if s is None or snap is None:
        return {k: ("" if k == "hts_kor_isnm" else "0") for k in CHART_KEYS}
    return {"prdy_vrss": i(snap.diff), "prdy_vrss_sign": sign(snap.diff), "prdy_ctrt": rate(snap.diff, snap.base),
            "stck_prdy_clpr": i(snap.base), "acml_vol": i(snap.volume), "acml_tr_pbmn": i(snap.value),
            "hts_kor_isnm": m.u.name_on(s, snap.day), "stck_prpr": i(snap.price)}


def minute_rows(b: Bars, d: date, upto_minute: int, limit: int) -> list[dict[str, str]]:
    """Rows of bars starting at or before `upto_minute`, newest first; acml_tr_pbmn is cumulative."""
    n = int(np.searchsorted(b.minute, upto_minute, side="right"))
    cum = np.cumsum(b.value[:n])
    ds = yyyymmdd(d)
    rows = []
    for k in range(n - 1, max(n - 1 - limit, -1), -1):
        mm = int(b.minute[k])
        rows.append({"stck_bsop_date": ds, "stck_cntg_hour": f"{mm // 60:02d}{mm % 60:02d}00",
                     "stck_prpr": i(b.close[k]), "stck_oprc": i(b.open[k]), "stck_hgpr": i(b.high[k]),
                     "stck_lwpr": i(b.low[k]), "cntg_vol": i(b.volume[k]), "acml_tr_pbmn": i(cum[k])})
    return rows


def hour_minute(text: str) -> int | None:
    """HHMMSS -> minutes after midnight; None for blank or 000000 (meaning "now")."""
    t = text.strip()
    if not t or int(t or 0) == 0:
        return None
    if not t.isdigit() or len(t) != 6:
        raise KisError(*fmt.BAD_INPUT, status=200)
    return int(t[:2]) * 60 + int(t[2:4])


def today_minutes(ctx: Ctx) -> tuple[dict[str, Any], str]:
    """FHKST03010200: today's bars up to FID_INPUT_HOUR_1 (inclusive; later than now = now), 30 rows.

    Before today's first bar (pre-open, holidays) the previous session's bars are answered, as seen on the real
    service (kis-api §6.4, [V3]); clients must check stck_bsop_date.
    """
    m, now = ctx.state.market, ctx.now
    s = stock_or_none(ctx)
    snap = snapshot(m, s, now) if s else None
    rows: list[dict[str, str]] = []
    if s is not None and snap is not None:
        now_min = now.hour * 60 + now.minute
        asked = hour_minute(ctx.p("FID_INPUT_HOUR_1"))
        upto = now_min if asked is None else min(asked, now_min)
        b = m.bars(s, now.date(), now) if m.cal.is_session(now.date()) else None
        if b is None or not len(b):
            last = m.cal.previous_session(now.date())
            if m.u.listed_on(s, last):
                rows = minute_rows(m.bars(s, last, now), last, 24 * 60, 30)
        else:
            rows = minute_rows(b, now.date(), upto, 30)
    return fmt.envelope({"output1": chart_output1(m, s, snap, now), "output2": rows}), "D"


def past_minutes(ctx: Ctx) -> tuple[dict[str, Any], str]:
    """FHKST03010230: bars of FID_INPUT_DATE_1 at or before FID_INPUT_HOUR_1, 120 rows, ~1 year kept."""
    m, now = ctx.state.market, ctx.now
    s = stock_or_none(ctx)
    snap = snapshot(m, s, now) if s else None
    d = parse_date(ctx.p("FID_INPUT_DATE_1"), now.date())
    asked = hour_minute(ctx.p("FID_INPUT_HOUR_1"))
    rows: list[dict[str, str]] = []
    kept = now.date() - timedelta(days=MINUTE_RETENTION_DAYS) <= d <= now.date()
    if s is not None and kept and m.cal.is_session(d) and m.u.listed_on(s, d):
        rows = minute_rows(m.bars(s, d, now), d, 24 * 60 if asked is None else asked, 120)
    return fmt.envelope({"output1": chart_output1(m, s, snap, now), "output2": rows}), "D"


def adjusted(m: Market, s: Stock, d: date, prices: list[int], volume: int, adjust: bool) -> tuple[list[int], int]:
    ratio = m.u.split_ratio_before(s, d) if adjust else 1
    return [round(p / ratio) for p in prices], volume * ratio


def day_rows(m: Market, s: Stock, start: date, end: date, now: datetime, period: str, adjust: bool):
    """Daily (or W/M/Y) bars from start to end, newest first: (date, o, h, l, c, vol, value, base, adjusted?)."""
    last = m.cal.previous_session(now.date() + timedelta(days=1))
    days = [d for d in m.cal.sessions(max(start, s.listed), min(end, last)) if m.u.listed_on(s, d)]
    days = days[-{"D": 101, "W": 520, "M": 2300}.get(period, len(days)):]  # only what one page can show
    out = []
    for d in days:
        bar = m.day_bar(s, d, now)
        if bar is None:
            continue
        (o, h, lo, c, base), v = adjusted(m, s, d, [bar.open, bar.high, bar.low, bar.close, bar.base], bar.volume, adjust)
        out.append((d, o, h, lo, c, v, bar.value, base, adjust and m.u.split_ratio_before(s, d) > 1))
    if period in ("W", "M", "Y"):
        out = _aggregate(out, period)
    return out[::-1]


def _aggregate(rows: list[tuple], period: str) -> list[tuple]:
    def key(d: date) -> tuple:
        return d.isocalendar()[:2] if period == "W" else (d.year, d.month) if period == "M" else (d.year,)

    groups: dict[tuple, list[tuple]] = {}
    for r in rows:
        groups.setdefault(key(r[0]), []).append(r)
    return [(g[0][0], g[0][1], max(r[2] for r in g), min(r[3] for r in g), g[-1][4], sum(r[5] for r in g),
             sum(r[6] for r in g), g[0][7], any(r[8] for r in g)) for g in groups.values()]


def daily_chart(ctx: Ctx) -> tuple[dict[str, Any], str]:
    """FHKST03010100: up to 100 bars between FID_INPUT_DATE_1 and _2, newest first; 0 adjusted, 1 raw."""
    m, now = ctx.state.market, ctx.now
    s = stock_or_none(ctx)
    snap = snapshot(m, s, now) if s else None
    start = parse_date(ctx.p("FID_INPUT_DATE_1"), date(2015, 1, 1))
    end = parse_date(ctx.p("FID_INPUT_DATE_2"), now.date())
    adjust = ctx.p("FID_ORG_ADJ_PRC", "0") != "1"
    rows = []
    if s is not None:
        for d, o, h, lo, c, v, val, base, mod in day_rows(m, s, start, end, now, ctx.p("FID_PERIOD_DIV_CODE", "D"), adjust)[:100]:
            rows.append({"stck_bsop_date": yyyymmdd(d), "stck_clpr": i(c), "stck_oprc": i(o), "stck_hgpr": i(h),
                         "stck_lwpr": i(lo), "acml_vol": i(v), "acml_tr_pbmn": i(val), "flng_cls_code": "00",
                         "prtt_rate": "0.00", "mod_yn": "Y" if mod else "N", "prdy_vrss_sign": sign(c - base),
                         "prdy_vrss": i(c - base), "revl_issu_reas": ""})
    return fmt.envelope({"output1": chart_detail(m, s, snap), "output2": rows}), "D"


def chart_detail(m: Market, s: Stock | None, snap: Snap | None) -> dict[str, str]:
    """output1 of FHKST03010100 (including the real key with a space, "itewhol_loan_rmnd_ratem name")."""
    keys = ("prdy_vrss", "prdy_vrss_sign", "prdy_ctrt", "stck_prdy_clpr", "acml_vol", "acml_tr_pbmn",
            "hts_kor_isnm", "stck_prpr", "stck_shrn_iscd", "prdy_vol", "stck_mxpr", "stck_llam", "stck_oprc",
            "stck_hgpr", "stck_lwpr", "stck_prdy_oprc", "stck_prdy_hgpr", "stck_prdy_lwpr", "askp", "bidp",
            "prdy_vrss_vol", "vol_tnrt", "stck_fcam", "lstn_stcn", "cpfn", "hts_avls", "per", "eps", "pbr",
            "itewhol_loan_rmnd_ratem name")
    if s is None or snap is None:
        return {k: "" if k in ("hts_kor_isnm", "stck_shrn_iscd") else "0" for k in keys}
    po, ph, pl, _pc, pv = snap.prev
    ask, bid = quote_sides(snap.price) if snap.volume else (0, 0)
    eps = max(snap.base // 12, 1) * (1 if s.idx % 7 else -1)
    values = (i(snap.diff), sign(snap.diff), rate(snap.diff, snap.base), i(snap.base), i(snap.volume), i(snap.value),
              m.u.name_on(s, snap.day), i(snap.price), s.code, i(pv), i(snap.upper), i(snap.lower), i(snap.open),
              i(snap.high), i(snap.low), i(po), i(ph), i(pl), i(ask), i(bid), i(snap.volume - pv),
              f2(snap.volume / s.shares * 100), i(s.par), i(s.shares), i(s.shares * s.par // 10**8),
              i(snap.price * s.shares // 10**8), f2(snap.price / eps), f"{eps:.2f}", f2(1.0 + s.idx % 30 / 10),
              f2(s.idx % 50 / 100))
    return dict(zip(keys, values))


def daily_price(ctx: Ctx) -> tuple[dict[str, Any], str]:
    """FHKST01010400: last 30 days/weeks/months, newest first (FID_ORG_ADJ_PRC 1 = adjusted, per DOC26)."""
    m, now = ctx.state.market, ctx.now
    s = stock_or_none(ctx)
    period = ctx.p("FID_PERIOD_DIV_CODE", "D") or "D"
    adjust = ctx.p("FID_ORG_ADJ_PRC", "0").lstrip("0") == "1"
    rows = []
    if s is not None:
        span = {"D": 60, "W": 260, "M": 1000}.get(period, 60)
        found = day_rows(m, s, now.date() - timedelta(days=span), now.date(), now, period, adjust)[:31]
        for k, (d, o, h, lo, c, v, _val, base, _mod) in enumerate(found[:30]):
            prev_v = found[k + 1][5] if k + 1 < len(found) else v
            f = m.flows(s, d) if m.is_closed_day(d, now) else None
            rows.append({"stck_bsop_date": yyyymmdd(d), "stck_oprc": i(o), "stck_hgpr": i(h), "stck_lwpr": i(lo),
                         "stck_clpr": i(c), "acml_vol": i(v), "prdy_vrss_vol_rate": rate(v - prev_v, prev_v),
                         "prdy_vrss": i(c - base), "prdy_vrss_sign": sign(c - base), "prdy_ctrt": rate(c - base, base),
                         "hts_frgn_ehrt": f2(float(m.u.foreign_ratio[s.idx])),
                         "frgn_ntby_qty": i(f.net_qty("frgn")) if f else "0", "flng_cls_code": "00",
                         "acml_prtt_rate": "0.00"})
    return fmt.envelope({"output": rows}), "D"


MINUTE_ROWS = RowSpec("output2", "stck_prpr", "stck_oprc", "stck_hgpr", "stck_lwpr", time="stck_cntg_hour")
DAILY_ROWS = RowSpec("output2", "stck_clpr", "stck_oprc", "stck_hgpr", "stck_lwpr")
register(Q + "inquire-daily-itemchartprice", Tr("FHKST03010100", daily_chart, page=100, rows=DAILY_ROWS))
register(Q + "inquire-daily-price", Tr("FHKST01010400", daily_price, page=30,
                                      rows=RowSpec("output", "stck_clpr", "stck_oprc", "stck_hgpr", "stck_lwpr")))
register(Q + "inquire-time-itemchartprice", Tr("FHKST03010200", today_minutes, page=30, rows=MINUTE_ROWS))
register(Q + "inquire-time-dailychartprice", Tr("FHKST03010230", past_minutes, real_only=True, page=120,
                                               rows=MINUTE_ROWS))
