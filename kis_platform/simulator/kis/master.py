"""Master files (no auth): kospi_code.mst.zip and kosdaq_code.mst.zip (cp949 fixed width, 288/282 bytes per
record) and fo_idx_code_mts.mst.zip (pipe-separated index futures/options), as of the simulator's today.

Fixed-width tails start from a real record (삼성전자 / 에코프로비엠 in kis-samples) and overwrite the fields the
simulator knows (base price, volumes, par value, listing date, shares, market cap, index flags).
"""

from __future__ import annotations

import io
import zipfile
from datetime import date

from starlette.requests import Request
from starlette.responses import Response

from kis_platform.simulator.market import Market
from kis_platform.simulator.market.options import listed_expiries, option_code, strikes_for
from kis_platform.simulator.state import SimState

KOSPI_WIDTHS = [2, 1, 4, 4, 4] + [1] * 26 + [9, 5, 5, 1, 1, 1, 2, 1, 1, 1, 2, 2, 2, 3, 1, 3, 12, 12, 8, 15, 21, 2, 7,
                                              1, 1, 1, 1, 1, 9, 9, 9, 5, 9, 8, 9, 3, 1, 1, 1]
KOSDAQ_WIDTHS = [2, 1, 4, 4, 4] + [1] * 21 + [9, 5, 5, 1, 1, 1, 2, 1, 1, 1, 2, 2, 2, 3, 1, 3, 12, 12, 8, 15, 21, 2, 7,
                                               1, 1, 1, 1, 9, 9, 9, 5, 9, 8, 9, 3, 1, 1, 1]
KOSPI_TAIL = ("ST1000000130000YNN5YYY YYNNNNNNN0NNNNNNNY0000647000000100001NNN00NNN000000020Y09000003756601600000000010"
              "01975061100000000596978200000000077804668500012       0 NYY00145983900017049900019302116596000008.95202406"
              "30003862449511NNN")
KOSDAQ_TAIL = ("ST1100910280000 NY Y    N  0  N    Y0001039000000100001NNN00NNN000000040Y0900000003787260000000005002019"
               "030500000000009783000000000004895545400012       0 NY0000118210000003900000001420011700000000320260630"
               "000101645LD2NNN")
# field index of (base price, previous volume, par, listing date, shares in thousands, market cap in 100M KRW)
KOSPI_FIELDS = {"base": 31, "prev_vol": 47, "par": 48, "listed": 49, "shares": 50, "cap": 65, "k200": 8, "spac": 19}
KOSDAQ_FIELDS = {"base": 26, "prev_vol": 42, "par": 43, "listed": 44, "shares": 45, "cap": 59, "kq150": 25,
                 "spac": 14}


def split_fields(tail: str, widths: list[int]) -> list[str]:
    out, pos = [], 0
    for w in widths:
        out.append(tail[pos : pos + w])
        pos += w
    return out


def pad_cp949(text: str, width: int) -> bytes:
    """cp949 bytes of text, cut on a character boundary and space-padded to width."""
    raw = b""
    for ch in text:
        b = ch.encode("cp949", errors="replace")
        if len(raw) + len(b) > width:
            break
        raw += b
    return raw + b" " * (width - len(raw))


def stock_records(m: Market, market: str, today: date) -> bytes:
    kospi = market == "KOSPI"
    widths, tail, fields = (KOSPI_WIDTHS, KOSPI_TAIL, KOSPI_FIELDS) if kospi else (KOSDAQ_WIDTHS, KOSDAQ_TAIL,
                                                                                  KOSDAQ_FIELDS)
    day = today if m.cal.is_session(today) else m.cal.previous_session(today)
    last = m.daily.day(m.cal.previous_session(today))
    lines = []
    for s in m.u.stocks:
        if not m.u.listed_on(s, day) or m.u.market_on(s, day) != market:
            continue
        o = (0, 0, 0, int(last.close[s.idx]), int(last.volume[s.idx])) if last.listed[s.idx] else (0, 0, 0, 0, 0)
        f = split_fields(tail, widths)
        f[fields["base"]] = f"{o[3]:09d}"
        f[fields["prev_vol"]] = f"{o[4]:012d}"
        f[fields["par"]] = f"{s.par:012d}"
        f[fields["listed"]] = s.listed.strftime("%Y%m%d")
        f[fields["shares"]] = f"{s.shares // 1000:015d}"
        f[fields["cap"]] = f"{o[3] * s.shares // 10**8:09d}"
        f[fields["spac"]] = "Y" if s.spac else "N"
        if kospi:
            f[fields["k200"]] = str(1 + s.idx % 9) if m.u.kospi200[s.idx] else "0"
        else:
            f[fields["kq150"]] = "Y" if m.u.kosdaq150[s.idx] else "N"
        rec = s.code.ljust(9).encode() + s.isin.encode() + pad_cp949(m.u.name_on(s, day), 40) + "".join(f).encode()
        lines.append(rec)
    return b"\n".join(lines) + b"\n"


def fo_records(m: Market, today: date) -> bytes:
    day = today if m.cal.is_session(today) else m.cal.previous_session(today)
    lines = []
    for product, under, under_name in (("KOSPI200", "2001", "KOSPI200"), ("KOSDAQ150", "3003", "KOSDAQ150")):
        for rank, c in enumerate(m.futures.listed(day, product), start=1):
            lines.append(f"1|{c.code}|{c.isin}|{c.name}| |00000.00|{rank}|{under}|{under_name}")
    spot = m.index.prev_close("KOSPI200", day)
    for rank, e in enumerate(listed_expiries(m.cal, day)[:6], start=1):
        for kind, right, label in (("5", "C", "C"), ("6", "P", "P")):
            for k in strikes_for(spot):
                atm = "1" if abs(k - spot) < 1.25 else ("2" if (k < spot) == (right == "C") else "3")
                code = option_code(right, e, k)
                lines.append(f"{kind}|{code}|{code}|{label} {e.year}{e.month:02d} {k:.1f}|{atm}|{k:08.2f}|{rank}|2001|"
                             "KOSPI200")
    return ("\n".join(lines) + "\n").encode("cp949")


def zipped(name: str, data: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(name, data)
    return buf.getvalue()


async def master_file(request: Request) -> Response:
    state: SimState = request.app.state.sim
    name = request.path_params["name"]
    today = state.clock.now().date()
    builders = {"kospi_code.mst.zip": lambda: stock_records(state.market, "KOSPI", today),
                "kosdaq_code.mst.zip": lambda: stock_records(state.market, "KOSDAQ", today),
                "fo_idx_code_mts.mst.zip": lambda: fo_records(state.market, today)}
    if name not in builders:
        return Response(b"Not Found", status_code=404)
    state.stats.inc("master_downloads")
    return Response(zipped(name[:-4], builders[name]()), media_type="application/zip")
