"""KOSPI200 and KOSDAQ150 index futures: quarterly contracts, roll on expiry, 1-minute bars from the index path.

Expiry = 2nd Thursday of Mar/Jun/Sep/Dec (the session before when that day is closed). The front month is the
nearest contract not yet expired; on its expiry day it still trades (until 15:20) and the next is front from the
following session. Futures trade 15 minutes around the stock session (08:45-15:45), closing auction 15:35-15:45.
Prices are in points on a 0.05 grid (KOSDAQ150: 0.10), stored as integers in hundredths.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import numpy as np

from kis_platform.calendar import Calendar
from kis_platform.simulator.market import codes
from kis_platform.simulator.market.index import IndexModel
from kis_platform.simulator.market.minutes import Bars

RATE = 0.03
PRODUCTS = {  # product -> (code digits, KIS name prefix, KRX product name, multiplier KRW/pt, tick in hundredths)
    "KOSPI200": ("01", "F", "코스피200 선물", 250_000, 5),
    "KOSDAQ150": ("06", "KQ150 F", "코스닥150 선물", 10_000, 10),
}


@dataclass(frozen=True)
class Contract:
    """One futures contract (or the expiry of an option series when used for options)."""

    product: str
    year: int
    month: int
    expiry: date

    @property
    def code(self) -> str:
        return codes.future_code(PRODUCTS[self.product][0], self.year, self.month)

    @property
    def krx_code(self) -> str:
        return codes.krx_derivative_code(self.code, self.year, self.month)

    @property
    def isin(self) -> str:
        return codes.derivative_isin(self.krx_code)

    @property
    def name(self) -> str:
        return f"{PRODUCTS[self.product][1]} {self.year}{self.month:02d}"


def expiry_day(cal: Calendar, year: int, month: int) -> date:
    """2nd Thursday of the month, or the last session before it when the market is closed that day."""
    first = date(year, month, 1)
    d = first + timedelta(days=(3 - first.weekday()) % 7 + 7)
    return d if cal.is_session(d) else cal.previous_session(d)


class FuturesModel:
    """Listed contracts per day and their 1-minute bars."""

    def __init__(self, index: IndexModel, calendar: Calendar, seed: int) -> None:
        self.index, self.cal, self.seed = index, calendar, seed
        self.bars = lru_cache(maxsize=256)(self._bars)

    def listed(self, d: date, product: str = "KOSPI200", count: int = 4) -> list[Contract]:
        """The next `count` quarterly contracts not expired before d (front month first)."""
        out: list[Contract] = []
        y, m = d.year, (d.month - 1) // 3 * 3 + 3
        while len(out) < count:
            e = expiry_day(self.cal, y, m)
            if e >= d:
                out.append(Contract(product, y, m, e))
            y, m = (y + 1, 3) if m == 12 else (y, m + 3)
        return out

    def by_code(self, code: str, d: date) -> Contract | None:
        for product in PRODUCTS:
            for c in self.listed(d, product):
                if c.code == code:
                    return c
        return None

    def session(self, c: Contract, d: date) -> tuple[int, int]:
        """(open, close) minutes of the futures session on d."""
        om, cm = self.index.bounds(d)
        return om - 15, (cm - 10 if d == c.expiry else cm + 15)

    def fair(self, c: Contract, d: date, minute: np.ndarray) -> np.ndarray:
        """Theoretical futures level at the given minutes (cost of carry on the index path)."""
        om, cm = self.index.bounds(d)
        path = self.index.path(c.product, d)
        spot = path[np.clip(minute - om, 0, cm - om).astype(int)]
        return spot * np.exp(RATE * max((c.expiry - d).days, 0) / 365)

    def _bars(self, c: Contract, d: date) -> Bars:
        fo_open, fo_close = self.session(c, d)
        n = fo_close - fo_open - 10
        rng = np.random.default_rng([self.seed, 8, zlib.crc32(c.code.encode()), d.toordinal()])
        tick = PRODUCTS[c.product][4]
        pts = self.fair(c, d, np.arange(fo_open, fo_open + n + 1)) + np.cumsum(rng.normal(0, 0.04, n + 1))
        pts = np.round(pts * 100 / tick).astype(np.int64) * tick
        rank = next(i for i, k in enumerate(self.listed(d, c.product)) if k == c)
        v_day = int(np.exp(rng.normal(np.log((180_000, 2_500, 300, 60)[rank]), 0.3)))
        vols = rng.multinomial(v_day, np.full(n, 1 / n))
        wick = (np.abs(rng.normal(0, 1.2, (2, n))) * tick).astype(np.int64) // tick * tick
        bo, bc = pts[:-1], pts[1:]
        traded = np.flatnonzero(vols > 0)
        close = int(pts[-1])
        minute = np.concatenate([fo_open + traded, [fo_close]])
        o = np.concatenate([bo[traded], [close]])
        c_ = np.concatenate([bc[traded], [close]])
        h = np.concatenate([(np.maximum(bo, bc) + wick[0])[traded], [close]])
        lo = np.concatenate([(np.minimum(bo, bc) - wick[1])[traded], [close]])
        vol = np.concatenate([vols[traded], [max(1, v_day // 200)]]).astype(np.int64)
        mult_k = PRODUCTS[c.product][3] / 1000  # turnover in thousand KRW, as KIS prints it
        value = (vol * (o + h + lo + c_) / 400 * mult_k).astype(np.int64)
        return Bars(d, minute, o, h, lo, c_, vol, value, np.zeros(len(minute), dtype=np.int64))

    def open_interest(self, c: Contract, d: date) -> int:
        rank = next(i for i, k in enumerate(self.listed(d, c.product)) if k == c)
        rng = np.random.default_rng([self.seed, 9, d.toordinal(), rank])
        return int((250_000, 30_000, 4_000, 900)[rank] * rng.uniform(0.9, 1.1))
