"""KRX Open API: GET /svc/apis/{sto,idx,drv}/<service>?basDd=YYYYMMDD with header AUTH_KEY.

Whole market of one day per call, {"OutBlock_1": [...]}, all values strings, "-" when missing. Day D is published
from D+1 08:00 KST (before that, and on closed days: an empty OutBlock_1). 10,000 calls per key per day.
Error bodies for a bad key / exhausted quota are not documented anywhere we found; ours are inferred.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
from starlette.requests import Request
from starlette.responses import Response

from kis_platform.calendar import KST
from kis_platform.simulator import respond
from kis_platform.simulator.market import Market
from kis_platform.simulator.market.futures import PRODUCTS
from kis_platform.simulator.market.options import chain, listed_expiries, round_premium
from kis_platform.simulator.market.ticks import tick_size
from kis_platform.simulator.state import SimState

UNAUTHORIZED = {"respMsg": "Unauthorized Key", "respCode": "401"}  # inferred
OVER_QUOTA = {"respMsg": "Exceeded the daily call limit", "respCode": "429"}  # inferred
INDEX_ROWS = {"kospi_dd_trd": (("KOSPI", "코스피"), ("KOSPI200", "코스피 200"), ("KOSPI100", "코스피 100"),
                               ("KOSPI50", "코스피 50")),
              "kosdaq_dd_trd": (("KOSDAQ", "코스닥"), ("KOSDAQ150", "코스닥 150"))}


def published(d: date, now: datetime) -> bool:
    return now >= datetime.combine(d + timedelta(days=1), time(8, 0), KST)


def _s(x: float) -> str:
    return str(int(x))


def stock_daily(state: SimState, d: date, kospi: bool) -> list[dict[str, str]]:
    m = state.market
    t = m.daily.day(d)
    rows = []
    for k in np.flatnonzero(t.listed & (t.kospi == kospi)):
        s = m.u.stocks[k]
        c = int(t.close[k])
        h = int(t.high[k])
        if state.faults.mismatch(s.code, d.strftime("%Y%m%d")):
            state.stats.fault("price_mismatch")
            # about 2 %, on the tick grid: well outside the ±0.5 % reconciliation tolerance
            tick = int(tick_size(c))
            c += max(3, round(0.02 * c / tick)) * tick
            h = max(h, c)
        diff = c - int(t.base[k])
        rows.append({"BAS_DD": d.strftime("%Y%m%d"), "ISU_CD": s.code, "ISU_NM": m.u.name_on(s, d),
                     "MKT_NM": "KOSPI" if kospi else "KOSDAQ", "SECT_TP_NM": s.section, "TDD_CLSPRC": _s(c),
                     "CMPPREVDD_PRC": _s(diff), "FLUC_RT": f"{diff / t.base[k] * 100:.2f}",
                     "TDD_OPNPRC": _s(t.open[k]), "TDD_HGPRC": _s(h), "TDD_LWPRC": _s(t.low[k]),
                     "ACC_TRDVOL": _s(t.volume[k]), "ACC_TRDVAL": _s(t.value[k]), "MKTCAP": _s(c * s.shares),
                     "LIST_SHRS": _s(s.shares)})
    return rows


def base_info(m: Market, d: date, kospi: bool) -> list[dict[str, str]]:
    rows = []
    kospi_now = m.u.markets_on(d)
    for s in m.u.stocks:
        if not m.u.listed_on(s, d) or bool(kospi_now[s.idx]) != kospi:
            continue
        name = m.u.name_on(s, d)
        rows.append({"ISU_CD": s.isin, "ISU_SRT_CD": s.code, "ISU_NM": name if s.spac else f"{name}보통주",
                     "ISU_ABBRV": name, "ISU_ENG_NM": s.eng_name, "LIST_DD": s.listed.strftime("%Y%m%d"),
                     "MKT_TP_NM": "KOSPI" if kospi else "KOSDAQ", "SECUGRP_NM": "주권", "SECT_TP_NM": s.section,
                     "KIND_STKCERT_TP_NM": "보통주", "PARVAL": str(s.par), "LIST_SHRS": str(s.shares)})
    return rows


def index_daily(m: Market, d: date, service: str) -> list[dict[str, str]]:
    t = m.daily.day(d)
    rows = []
    for key, name in INDEX_ROWS[service]:
        o, h, lo, c, p = t.index[key]
        members = (t.kospi if key == "KOSPI" else ~t.kospi if key == "KOSDAQ" else
                   m.u.kospi200 if key.startswith("KOSPI") else m.u.kosdaq150) & t.listed
        rows.append({"BAS_DD": d.strftime("%Y%m%d"), "IDX_CLSS": "KOSPI" if key.startswith("KOSPI") else "KOSDAQ",
                     "IDX_NM": name, "CLSPRC_IDX": f"{c:.2f}", "CMPPREVDD_IDX": f"{c - p:.2f}",
                     "FLUC_RT": f"{(c - p) / p * 100:.2f}", "OPNPRC_IDX": f"{o:.2f}", "HGPRC_IDX": f"{h:.2f}",
                     "LWPRC_IDX": f"{lo:.2f}", "ACC_TRDVOL": _s(t.volume[members].sum()),
                     "ACC_TRDVAL": _s(t.value[members].sum()),
                     "MKTCAP": _s((t.close[members] * m.u.shares[members]).sum())})
    return rows


def futures_daily(m: Market, d: date) -> list[dict[str, str]]:
    rows = []
    for product in PRODUCTS:
        prod_nm, mult = PRODUCTS[product][2], PRODUCTS[product][3]
        spot = m.index.level(product, d, 10_000)
        for c in m.futures.listed(d, product):
            b = m.futures.bars(c, d)
            prev = m.futures.bars(c, m.cal.previous_session(d)).close[-1] if c.expiry > d else b.open[0]
            close = b.close[-1] / 100
            rows.append({"BAS_DD": d.strftime("%Y%m%d"), "PROD_NM": prod_nm, "MKT_NM": "정규", "ISU_CD": c.krx_code,
                         "ISU_NM": f"{prod_nm[:-3]} F {c.year}{c.month:02d}", "TDD_CLSPRC": f"{close:.2f}",
                         "CMPPREVDD_PRC": f"{close - prev / 100:.2f}", "TDD_OPNPRC": f"{b.open[0] / 100:.2f}",
                         "TDD_HGPRC": f"{b.high.max() / 100:.2f}", "TDD_LWPRC": f"{b.low.min() / 100:.2f}",
                         "SPOT_PRC": f"{spot:.2f}", "SETL_PRC": f"{close:.2f}", "ACC_TRDVOL": _s(b.volume.sum()),
                         "ACC_TRDVAL": _s(b.value.sum() * 1000), "ACC_OPNINT_QTY": _s(m.futures.open_interest(c, d))})
    return rows


def options_daily(m: Market, d: date) -> list[dict[str, str]]:
    rows = []
    o, h, lo, c, p = m.daily.day(d).index["KOSPI200"]
    close_at = m.cal.session_bounds(d)[1]
    prev_close_at = m.cal.session_bounds(m.cal.previous_session(d))[1]
    for e in listed_expiries(m.cal, d)[:6]:
        now_ch = chain(m.seed, e, c, p, d, close_at)
        prev_ch = chain(m.seed, e, p, p, d, prev_close_at)
        extremes = [chain(m.seed, e, x, p, d, close_at) for x in (o, h, lo)]
        for right, key in (("CALL", "call"), ("PUT", "put")):
            cl = round_premium(getattr(now_ch, key)["price"])
            pv = round_premium(getattr(prev_ch, key)["price"])
            ext = np.vstack([round_premium(getattr(x, key)["price"]) for x in extremes] + [cl])
            for k, strike in enumerate(now_ch.strikes):
                code = ("2" if right == "CALL" else "3") + "01" if e.year < 2026 else ("B" if right == "CALL" else "C") + "01"
                mny = abs(np.log(strike / c))
                vol = int(30_000 * np.exp(-mny * 40))
                rows.append({"BAS_DD": d.strftime("%Y%m%d"), "PROD_NM": "코스피200 옵션", "RGHT_TP_NM": right,
                             "ISU_CD": f"{code}{e.krx_code[3]}{e.krx_code[4]}{int(strike) % 1000:03d}",
                             "ISU_NM": f"코스피200 {right[0]} {e.year}{e.month:02d} {strike:.1f}",
                             "TDD_CLSPRC": f"{cl[k]:.2f}" if vol else "-", "CMPPREVDD_PRC": f"{cl[k] - pv[k]:.2f}",
                             "TDD_OPNPRC": f"{ext[0, k]:.2f}" if vol else "-",
                             "TDD_HGPRC": f"{ext[:, k].max():.2f}" if vol else "-",
                             "TDD_LWPRC": f"{ext[:, k].min():.2f}" if vol else "-",
                             "IMP_VOLT": f"{now_ch.iv[k] * 100:.2f}", "NXTDD_BAS_PRC": f"{cl[k]:.2f}",
                             "ACC_TRDVOL": _s(vol), "ACC_TRDVAL": _s(vol * cl[k] * 250_000),
                             "ACC_OPNINT_QTY": _s(vol * 3)})
    return rows


SERVICES = {
    "sto/stk_bydd_trd": lambda st, d: stock_daily(st, d, True),
    "sto/ksq_bydd_trd": lambda st, d: stock_daily(st, d, False),
    "sto/stk_isu_base_info": lambda st, d: base_info(st.market, d, True),
    "sto/ksq_isu_base_info": lambda st, d: base_info(st.market, d, False),
    "idx/kospi_dd_trd": lambda st, d: index_daily(st.market, d, "kospi_dd_trd"),
    "idx/kosdaq_dd_trd": lambda st, d: index_daily(st.market, d, "kosdaq_dd_trd"),
    "drv/fut_bydd_trd": lambda st, d: futures_daily(st.market, d),
    "drv/opt_bydd_trd": lambda st, d: options_daily(st.market, d),
}


async def krx_api(request: Request) -> Response:
    state: SimState = request.app.state.sim
    service = f"{request.path_params['group']}/{request.path_params['service']}"
    state.stats.inc("requests")
    state.stats.tr(f"KRX:{service}")
    early = await respond.before(state)
    if early is not None:
        return early
    key = request.headers.get("AUTH_KEY", "")
    if not key or (state.config.krx_key and key != state.config.krx_key) or service not in SERVICES:
        state.stats.inc("krx_rejections")
        return respond.json_response(state, UNAUTHORIZED, 401)
    if state.krx_counter.hit(key) > state.krx_limit:
        state.stats.inc("krx_rejections")
        state.stats.inc("rate_violations")
        return respond.json_response(state, OVER_QUOTA, 429)
    state.stats.inc("krx_calls")
    q = {k.lower(): v for k, v in request.query_params.items()}
    try:
        d = datetime.strptime(q.get("basdd", ""), "%Y%m%d").date()
    except ValueError:
        return respond.json_response(state, {"OutBlock_1": []})
    rows: list[dict[str, str]] = []
    if published(d, state.clock.now()) and d in state.market.daily.pos:
        rows = SERVICES[service](state, d)
    return respond.json_response(state, {"OutBlock_1": rows})
