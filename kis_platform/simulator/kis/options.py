"""Option TRs: FHPIO056104C0 (listed expiries) and FHPIF05030100 (call/put board, 100 strikes per side)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import numpy as np

from kis_platform.simulator.baddata import nonsense_greeks
from kis_platform.simulator.kis import fmt
from kis_platform.simulator.kis.fmt import KisError, f2, f4, i, sign
from kis_platform.simulator.kis.futures import FO
from kis_platform.simulator.kis.gateway import Ctx, Tr, register
from kis_platform.simulator.market import Market
from kis_platform.simulator.market import codes
from kis_platform.simulator.market.index import minutes_of
from kis_platform.simulator.market.options import chain, listed_expiries, option_code, round_premium

_DAILY_VOLUME = 60_000


def option_list(ctx: Ctx) -> tuple[dict[str, Any], str]:
    m = ctx.state.market
    rows = [{"mtrt_yymm_code": f"0{codes.year_char(e.year)}{e.month:02d}", "mtrt_yymm": f"{e.year}{e.month:02d}"}
            for e in listed_expiries(m.cal, ctx.now.date())]
    return fmt.envelope({"output": rows}), "D"


def board_day(m: Market, now: datetime) -> tuple[date, float]:
    """(session, KOSPI200 now) for the board: the latest started session."""
    return m.index.at("KOSPI200", now)


def callput_board(ctx: Ctx) -> tuple[dict[str, Any], str]:
    """Calls in output1, puts in output2, strikes descending; prices and greeks from the KOSPI200 level now."""
    m, now = ctx.state.market, ctx.now
    yyyymm = ctx.p("FID_MTRT_CNT")
    d, spot = board_day(m, now)
    exp = next((e for e in listed_expiries(m.cal, d) if f"{e.year}{e.month:02d}" == yyyymm), None)
    if exp is None:
        raise KisError(*fmt.BAD_INPUT, status=200)
    prev = m.cal.previous_session(d)
    prev_close = m.index.prev_close("KOSPI200", d)
    at = now if d == now.date() else datetime.combine(d, m.cal.session_bounds(d)[1].timetz())
    ch = chain(m.seed, exp, spot, prev_close, d, at)
    close_prev = m.cal.session_bounds(prev)[1]
    ch_prev = chain(m.seed, exp, prev_close, prev_close, d, close_prev)
    om, cm = m.index.bounds(d)
    elapsed = float(np.clip((minutes_of(at) - om + 15) / (cm - om + 30), 0, 1))
    atm = int(np.argmin(np.abs(ch.strikes - spot)))
    out = {}
    for side, right in (("output1", "C"), ("output2", "P")):
        greeks, prevg = (ch.call, ch_prev.call) if right == "C" else (ch.put, ch_prev.put)
        rows = [_row(m, exp, right, k, greeks, prevg, ch, spot, atm, elapsed) for k in range(len(ch.strikes))][::-1]
        for name in nonsense_greeks(rows, ctx.state.faults, yyyymm):
            ctx.state.stats.fault(name)
        out[side] = rows
    return fmt.envelope(out), "D"


def _tick(price: float) -> float:
    """KOSPI200 option premium tick: 0.01 below 10 points, 0.05 from 10 (quotes sit on this grid)."""
    return 0.01 if price < 10 else 0.05


def _row(m, exp, right, k, g, pg, ch, spot, atm, elapsed) -> dict[str, str]:
    strike = float(ch.strikes[k])
    price = float(round_premium(np.array([g["price"][k]]))[0])
    base = float(round_premium(np.array([pg["price"][k]]))[0])
    intrinsic = max(spot - strike, 0) if right == "C" else max(strike - spot, 0)
    mny = abs(np.log(strike / spot))
    vol = int(_DAILY_VOLUME * np.exp(-mny * 40) * elapsed * (1 + (k % 5) / 10))
    oi = int(_DAILY_VOLUME * 2 * np.exp(-mny * 25) * (1 + (k % 3) / 5))
    cls = "ATM" if k == atm else ("ITM" if intrinsic > 0 else "OTM")
    theo = float(g["price"][k])
    return {"acpr": f2(strike), "unch_prpr": f2(spot), "optn_shrn_iscd": option_code(right, exp, strike),
            "optn_prpr": f2(price), "optn_prdy_vrss": f2(price - base), "prdy_vrss_sign": sign(round(price - base, 2)),
            "optn_prdy_ctrt": f2((price - base) / base * 100), "optn_bidp": f2(max(price - _tick(price), 0)),
            "optn_askp": f2(price + _tick(price)), "tmvl_val": f2(price - intrinsic), "nmix_sdpr": f2(base),
            "acml_vol": i(vol), "seln_rsqn": i(oi // 40), "shnu_rsqn": i(oi // 45), "acml_tr_pbmn": i(vol * price * 250),
            "hts_otst_stpl_qty": i(oi), "otst_stpl_qty_icdc": i(vol // 10), "delta_val": f4(g["delta"][k]),
            "gama": f4(g["gamma"][k]), "vega": f4(g["vega"][k]), "theta": f4(g["theta"][k]), "rho": f4(g["rho"][k]),
            "hts_ints_vltl": f4(ch.iv[k] * 100), "invl_val": f2(intrinsic), "esdg": f2(price - theo),
            "dprt": f2((price - theo) / theo * 100 if theo > 0.005 else 9999.99), "hist_vltl": "16.9285",
            "hts_thpr": f2(theo), "optn_oprc": f2(base), "optn_hgpr": f2(max(price, base)),
            "optn_lwpr": f2(min(price, base)), "optn_mxpr": f2(base + max(base * 0.3, 5)),
            "optn_llam": f2(max(base - max(base * 0.3, 5), 0.01)), "atm_cls_name": cls, "rgbf_vrss_icdc": "0",
            "total_askp_rsqn": i(oi // 40), "total_bidp_rsqn": i(oi // 45), "futs_antc_cnpr": "0.00",
            "futs_antc_cntg_vrss": "0.00", "antc_cntg_vrss_sign": "0", "antc_cntg_prdy_ctrt": "0.00"}


register(FO + "display-board-option-list", Tr("FHPIO056104C0", option_list, real_only=True))
register(FO + "display-board-callput", Tr("FHPIF05030100", callput_board, real_only=True))
