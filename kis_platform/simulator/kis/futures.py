"""Futures TRs: FHMIF10000000 (price) and FHKIF03020200 (intraday bars, 102 rows)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np

from kis_platform.simulator.baddata import RowSpec
from kis_platform.simulator.kis import fmt
from kis_platform.simulator.kis.fmt import KisError, f2, i, rate, sign, yyyymmdd
from kis_platform.simulator.kis.gateway import Ctx, Tr, register
from kis_platform.simulator.kis.stocks import hour_minute, parse_date
from kis_platform.simulator.market import Market
from kis_platform.simulator.market.futures import Contract
from kis_platform.simulator.market.index import minutes_of
from kis_platform.simulator.market.minutes import Bars

FO = "/uapi/domestic-futureoption/v1/quotations/"


def p2(x: float) -> str:
    """Price in hundredths -> "359.60"."""
    return f"{x / 100:.2f}"


def contract_or_error(ctx: Ctx) -> Contract:
    code = ctx.p("FID_INPUT_ISCD").upper()
    m = ctx.state.market
    d = m.cal.previous_session(ctx.now.date()) if not m.cal.is_session(ctx.now.date()) else ctx.now.date()
    c = m.futures.by_code(code, d) or m.futures.by_code(code, m.cal.previous_session(d))
    if c is None:
        raise KisError(*fmt.BAD_INPUT, status=200)
    return c


def visible(m: Market, c: Contract, d: date, now: datetime) -> Bars:
    """Bars of contract c on d that have started by `now` (whole day for past days)."""
    b = m.futures.bars(c, d)
    if d < now.date():
        return b
    return b.upto(int(np.searchsorted(b.minute, minutes_of(now), side="right")))


def day_state(m: Market, c: Contract, now: datetime) -> tuple[date, Bars, Bars]:
    """(day, today's visible bars, previous day's bars) of the latest started futures session."""
    d = now.date()
    if not (m.cal.is_session(d) and minutes_of(now) >= m.futures.session(c, d)[0]):
        d = m.cal.previous_session(d)
    prev = m.cal.previous_session(d)
    return d, visible(m, c, d, now), m.futures.bars(c, prev)


def futures_price(ctx: Ctx) -> tuple[dict[str, Any], str]:
    m, now = ctx.state.market, ctx.now
    c = contract_or_error(ctx)
    d, b, pb = day_state(m, c, now)
    pc = int(pb.close[-1])
    price = int(b.close[-1]) if len(b) else pc
    k200, k200_prev = m.index.level("KOSPI200", d, minutes_of(now) if d == now.date() else 10_000), \
        m.index.prev_close("KOSPI200", d)
    spot = m.index.level(c.product, d, minutes_of(now) if d == now.date() else 10_000)
    lim = round(pc * 0.2 / 5) * 5
    out1 = {"hts_kor_isnm": c.name, "futs_prpr": p2(price), "futs_prdy_vrss": p2(price - pc),
            "prdy_vrss_sign": sign(price - pc), "futs_prdy_clpr": p2(pc), "futs_prdy_ctrt": rate(price - pc, pc),
            "acml_vol": i(b.volume.sum()), "acml_tr_pbmn": i(b.value.sum()),
            "hts_otst_stpl_qty": i(m.futures.open_interest(c, d)), "otst_stpl_qty_icdc": "0",
            "futs_oprc": p2(b.open[0] if len(b) else 0), "futs_hgpr": p2(b.high.max() if len(b) else 0),
            "futs_lwpr": p2(b.low.min() if len(b) else 0), "futs_mxpr": p2(pc + lim), "futs_llam": p2(pc - lim),
            "basis": f2(price / 100 - spot), "futs_sdpr": p2(pc),
            "hts_thpr": f2(float(m.futures.fair(c, d, np.array([int(minutes_of(now))]))[0])),
            "dprt": f2((price / 100 - spot) / spot * 100), "crbr_aply_mxpr": "0.00", "crbr_aply_llam": "0.00",
            "futs_last_tr_date": yyyymmdd(c.expiry), "hts_rmnn_dynu": i((c.expiry - d).days),
            "futs_lstn_medm_hgpr": p2(int(pb.high.max() * 1.1)), "futs_lstn_medm_lwpr": p2(int(pb.low.min() * 0.9)),
            "delta_val": "1.0000", "gama": "0.0000", "theta": "0.0000", "vega": "0.0000", "rho": "0.0000",
            "mrkt_basis": f2(price / 100 - spot)}
    kospi, kospi_prev = m.index.level("KOSPI", d, minutes_of(now) if d == now.date() else 10_000), \
        m.index.prev_close("KOSPI", d)
    return fmt.envelope({"output1": out1, "output2": _index_out("0001", "종합", kospi, kospi_prev),
                         "output3": _index_out("2001", "KOSPI200", k200, k200_prev)}), "D"


def _index_out(code: str, name: str, level: float, prev: float) -> dict[str, str]:
    return {"bstp_cls_code": code, "hts_kor_isnm": name, "bstp_nmix_prpr": f2(level),
            "prdy_vrss_sign": sign(round(level - prev, 2)), "bstp_nmix_prdy_vrss": f2(level - prev),
            "bstp_nmix_prdy_ctrt": rate(level - prev, prev)}


def fuop_chart(ctx: Ctx) -> tuple[dict[str, Any], str]:
    """FHKIF03020200: bars at or before FID_INPUT_DATE_1/HOUR_1, newest first, 102 rows; 60 s bars (other
    FID_HOUR_CLS_CODE values are answered with 1-minute bars, inferred simplification); FID_PW_DATA_INCU_YN=Y
    continues into previous sessions; FID_FAKE_TICK_INCU_YN=Y adds zero-volume bars for minutes without trades."""
    m, now = ctx.state.market, ctx.now
    c = contract_or_error(ctx)
    d, b, pb = day_state(m, c, now)
    asked_day = parse_date(ctx.p("FID_INPUT_DATE_1"), d)
    asked_min = hour_minute(ctx.p("FID_INPUT_HOUR_1"))
    fake = ctx.p("FID_FAKE_TICK_INCU_YN").upper() == "Y"
    past = ctx.p("FID_PW_DATA_INCU_YN").upper() == "Y"
    rows: list[dict[str, str]] = []
    day = min(asked_day, d)
    if not m.cal.is_session(day):
        day = m.cal.previous_session(day)
    first = True
    while len(rows) < 102 and (first or past):
        bars = visible(m, c, day, now) if day == d else m.futures.bars(c, day)
        upto = asked_min if (first and asked_min is not None and asked_day <= d) else 24 * 60
        rows += _rows(m, c, day, bars, upto, fake, 102 - len(rows))
        first, day = False, m.cal.previous_session(day)
        if day < c.expiry.replace(year=c.expiry.year - 1):
            break
    pc = int(pb.close[-1])
    price = int(b.close[-1]) if len(b) else pc
    k200 = m.index.level("KOSPI200", d, minutes_of(now) if d == now.date() else 10_000)
    out1 = {"futs_prdy_vrss": p2(price - pc), "prdy_vrss_sign": sign(price - pc), "futs_prdy_ctrt": rate(price - pc, pc),
            "futs_prdy_clpr": p2(pc), "prdy_nmix": p2(pc), "acml_vol": i(b.volume.sum()),
            "acml_tr_pbmn": i(b.value.sum()), "hts_kor_isnm": c.name, "futs_prpr": p2(price),
            "futs_shrn_iscd": c.code, "prdy_vol": i(pb.volume.sum()), "futs_mxpr": p2(pc * 1.2),
            "futs_llam": p2(pc * 0.8), "futs_oprc": p2(b.open[0] if len(b) else 0),
            "futs_hgpr": p2(b.high.max() if len(b) else 0), "futs_lwpr": p2(b.low.min() if len(b) else 0),
            "futs_prdy_oprc": p2(pb.open[0]), "futs_prdy_hgpr": p2(pb.high.max()), "futs_prdy_lwpr": p2(pb.low.min()),
            "futs_askp": p2(price + 5), "futs_bidp": p2(price - 5), "basis": f2(price / 100 - k200),
            "kospi200_nmix": f2(k200), "hts_otst_stpl_qty": i(m.futures.open_interest(c, d)),
            "otst_stpl_qty_icdc": "0", "tday_rltv": f2(100.0 * (1 + (c.month % 3) / 10)),
            "hts_thpr": f2(price / 100), "dprt": f2((price / 100 - k200) / k200 * 100)}
    return fmt.envelope({"output1": out1, "output2": rows}), "D"


def _rows(m: Market, c: Contract, day: date, b: Bars, upto: int, fake: bool, limit: int) -> list[dict[str, str]]:
    ds = yyyymmdd(day)
    cum = np.cumsum(b.value)
    minutes = list(b.minute)
    if fake and len(b):
        minutes = list(range(int(b.minute[0]), int(b.minute[-1]) + 1))
    pos = {int(mm): k for k, mm in enumerate(b.minute)}
    rows = []
    last = None
    out = []
    for mm in minutes:
        k = pos.get(int(mm))
        if k is not None:
            last = k
            out.append((int(mm), b.close[k], b.open[k], b.high[k], b.low[k], b.volume[k], cum[k]))
        elif last is not None:
            px = b.close[last]
            out.append((int(mm), px, px, px, px, 0, cum[last]))
    for mm, cl, o, h, lo, v, acc in reversed([r for r in out if r[0] <= upto]):
        rows.append({"stck_bsop_date": ds, "stck_cntg_hour": f"{mm // 60:02d}{mm % 60:02d}00", "futs_prpr": p2(cl),
                     "futs_oprc": p2(o), "futs_hgpr": p2(h), "futs_lwpr": p2(lo), "cntg_vol": i(v),
                     "acml_tr_pbmn": i(acc)})
        if len(rows) >= limit:
            break
    return rows


register(FO + "inquire-price", Tr("FHMIF10000000", futures_price))
register(FO + "inquire-time-fuopchartprice", Tr("FHKIF03020200", fuop_chart, real_only=True, page=102,
                                                rows=RowSpec("output2", "futs_prpr", "futs_oprc", "futs_hgpr",
                                                             "futs_lwpr", time="stck_cntg_hour", decimals=True)))
