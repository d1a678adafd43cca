"""Investor TRs: FHKST01010900 (30 days, 3 groups) and FHPTJ04160001 (daily, finer split incl. pension funds)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from kis_platform.simulator.kis import fmt
from kis_platform.simulator.kis.fmt import i, rate, sign, yyyymmdd
from kis_platform.simulator.kis.gateway import Ctx, Tr, register
from kis_platform.simulator.kis.snapshot import snapshot
from kis_platform.simulator.kis.stocks import Q, day_rows, parse_date, stock_or_none
from kis_platform.simulator.market import Market
from kis_platform.simulator.market.flows import Flows

READY_AFTER_CLOSE = timedelta(minutes=10)  # inferred: "장 종료 후 제공" (provisional from about 15:40)


def flows_ready(m: Market, d: date, now: datetime) -> bool:
    return d < now.date() or now >= m.cal.session_bounds(d)[1] + READY_AFTER_CLOSE


def inquire_investor(ctx: Ctx) -> tuple[dict[str, Any], str]:
    """Newest first; today's row has blank investor fields until after the close."""
    m, now = ctx.state.market, ctx.now
    s = stock_or_none(ctx)
    rows = []
    if s is not None:
        for d, _o, _h, _l, c, _v, _val, base, _ in day_rows(m, s, now.date() - timedelta(days=60), now.date(), now,
                                                            "D", False)[:30]:
            row = {"stck_bsop_date": yyyymmdd(d), "stck_clpr": i(c), "prdy_vrss": i(c - base),
                   "prdy_vrss_sign": sign(c - base)}
            f = m.flows(s, d) if flows_ready(m, d, now) else None
            for kind in ("ntby_qty", "ntby_tr_pbmn", "shnu_vol", "shnu_tr_pbmn", "seln_vol", "seln_tr_pbmn"):
                for g in ("prsn", "frgn", "orgn"):
                    row[f"{g}_{kind}"] = _value(f, g, kind) if f else ""
            rows.append(row)
    return fmt.envelope({"output": rows}), "D"


def _value(f: Flows, g: str, kind: str) -> str:
    return i({"ntby_qty": f.net_qty(g), "ntby_tr_pbmn": f.net_amt(g), "shnu_vol": f.buy_qty[g],
              "shnu_tr_pbmn": f.buy_amt[g], "seln_vol": f.sell_qty[g], "seln_tr_pbmn": f.sell_amt[g]}[kind])


# Field order of the real output2 row: (key, investor type, what) with what in
# n=net qty, a=net amount, s/b = sell/buy qty, S/B = sell/buy amount.
_NET_QTY = [("frgn_ntby_qty", "frgn"), ("frgn_reg_ntby_qty", "frgn_reg"), ("frgn_nreg_ntby_qty", "frgn_nreg"),
            ("prsn_ntby_qty", "prsn"), ("orgn_ntby_qty", "orgn"), ("scrt_ntby_qty", "scrt"),
            ("ivtr_ntby_qty", "ivtr"), ("pe_fund_ntby_vol", "pe_fund"), ("bank_ntby_qty", "bank"),
            ("insu_ntby_qty", "insu"), ("mrbn_ntby_qty", "mrbn"), ("fund_ntby_qty", "fund"),
            ("etc_ntby_qty", "etc"), ("etc_corp_ntby_vol", "etc_corp"), ("etc_orgt_ntby_vol", "etc_orgt")]
_NET_AMT = [("frgn_reg_ntby_pbmn", "frgn_reg"), ("frgn_ntby_tr_pbmn", "frgn"), ("frgn_nreg_ntby_pbmn", "frgn_nreg"),
            ("prsn_ntby_tr_pbmn", "prsn"), ("orgn_ntby_tr_pbmn", "orgn"), ("scrt_ntby_tr_pbmn", "scrt"),
            ("pe_fund_ntby_tr_pbmn", "pe_fund"), ("ivtr_ntby_tr_pbmn", "ivtr"), ("bank_ntby_tr_pbmn", "bank"),
            ("insu_ntby_tr_pbmn", "insu"), ("mrbn_ntby_tr_pbmn", "mrbn"), ("fund_ntby_tr_pbmn", "fund"),
            ("etc_ntby_tr_pbmn", "etc"), ("etc_corp_ntby_tr_pbmn", "etc_corp"), ("etc_orgt_ntby_tr_pbmn", "etc_orgt")]


def _sides(g: str, order: str = "vol") -> list[tuple[str, str, str]]:
    q = [(f"{g}_seln_vol", g, "s"), (f"{g}_shnu_vol", g, "b")]
    a = [(f"{g}_seln_tr_pbmn", g, "S"), (f"{g}_shnu_tr_pbmn", g, "B")]
    return q + a if order == "vol" else a + q


_SIDES = (
    _sides("frgn")
    + [("frgn_reg_askp_qty", "frgn_reg", "s"), ("frgn_reg_bidp_qty", "frgn_reg", "b"),
       ("frgn_reg_askp_pbmn", "frgn_reg", "S"), ("frgn_reg_bidp_pbmn", "frgn_reg", "B"),
       ("frgn_nreg_askp_qty", "frgn_nreg", "s"), ("frgn_nreg_bidp_qty", "frgn_nreg", "b"),
       ("frgn_nreg_askp_pbmn", "frgn_nreg", "S"), ("frgn_nreg_bidp_pbmn", "frgn_nreg", "B")]
    + _sides("prsn") + _sides("orgn") + _sides("scrt") + _sides("ivtr")
    + [("pe_fund_seln_tr_pbmn", "pe_fund", "S"), ("pe_fund_seln_vol", "pe_fund", "s"),
       ("pe_fund_shnu_tr_pbmn", "pe_fund", "B"), ("pe_fund_shnu_vol", "pe_fund", "b")]
    + _sides("bank") + _sides("insu") + _sides("mrbn") + _sides("fund") + _sides("etc")
    + _sides("etc_orgt") + _sides("etc_corp")
)


def _pick(f: Flows, g: str, what: str) -> int:
    return {"s": f.sell_qty, "b": f.buy_qty, "S": f.sell_amt, "B": f.buy_amt}[what][g]


def trade_by_stock_daily(ctx: Ctx) -> tuple[dict[str, Any], str]:
    """FHPTJ04160001: rows up to FID_INPUT_DATE_1, newest first (30 rows, inferred page size)."""
    m, now = ctx.state.market, ctx.now
    s = stock_or_none(ctx)
    end = parse_date(ctx.p("FID_INPUT_DATE_1"), now.date())
    snap = snapshot(m, s, now) if s else None
    out1 = {"stck_prpr": "0", "prdy_vrss": "0", "prdy_vrss_sign": "3", "prdy_ctrt": "0.00", "acml_vol": "0",
            "prdy_vol": "0", "rprs_mrkt_kor_name": ""}
    rows = []
    if s is not None and snap is not None:
        out1 = {"stck_prpr": i(snap.price), "prdy_vrss": i(snap.diff), "prdy_vrss_sign": sign(snap.diff),
                "prdy_ctrt": rate(snap.diff, snap.base), "acml_vol": i(snap.volume), "prdy_vol": i(snap.prev[4]),
                "rprs_mrkt_kor_name": "KOSPI200" if m.u.kospi200[s.idx] else
                ("KOSDAQ150" if m.u.kosdaq150[s.idx] else m.u.market_on(s, snap.day))}
        for d, o, h, lo, c, v, val, base, _ in day_rows(m, s, end - timedelta(days=60), end, now, "D", False)[:30]:
            if not flows_ready(m, d, now):
                continue
            f = m.flows(s, d)
            row = {"stck_bsop_date": yyyymmdd(d), "stck_clpr": i(c), "prdy_vrss": i(c - base),
                   "prdy_vrss_sign": sign(c - base), "prdy_ctrt": rate(c - base, base), "acml_vol": i(v),
                   "acml_tr_pbmn": i(val), "stck_oprc": i(o), "stck_hgpr": i(h), "stck_lwpr": i(lo)}
            row.update({k: i(f.net_qty(g)) for k, g in _NET_QTY})
            row.update({k: i(f.net_amt(g)) for k, g in _NET_AMT})
            row.update({k: i(_pick(f, g, w)) for k, g, w in _SIDES})
            row["bold_yn"] = "N"
            rows.append(row)
    return fmt.envelope({"output1": out1, "output2": rows}), "D"


register(Q + "inquire-investor", Tr("FHKST01010900", inquire_investor, page=30))
register(Q + "investor-trade-by-stock-daily", Tr("FHPTJ04160001", trade_by_stock_daily, real_only=True, page=30))
