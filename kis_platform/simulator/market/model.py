"""The simulated market as one object: what is visible at a given instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

import numpy as np

from kis_platform.calendar import Calendar, default_calendar
from kis_platform.simulator.market.daily import DailyModel
from kis_platform.simulator.market.flows import Flows, flows
from kis_platform.simulator.market.futures import FuturesModel
from kis_platform.simulator.market.index import IndexModel, minutes_of
from kis_platform.simulator.market.minutes import Bars, stock_bars
from kis_platform.simulator.market.ticks import round_tick
from kis_platform.simulator.market.universe import Stock, Universe


@dataclass(frozen=True)
class DayBar:
    """One stock's OHLCV for a day (raw KRW), possibly partial (the session is still running)."""

    day: date
    open: int
    high: int
    low: int
    close: int
    volume: int
    value: int
    base: int  # previous close (reference price for the day)


class Market:
    """Universe, daily and intraday models behind one facade."""

    def __init__(self, seed: int, n_stocks: int = 2900, extra_holidays: tuple[date, ...] = ()) -> None:
        self.seed = seed
        self.cal: Calendar = default_calendar().with_extra_closed(extra_holidays)
        self.u = Universe(seed, n_stocks)
        self.daily = DailyModel(self.u, self.cal, seed)
        self.index = IndexModel(self.daily, self.cal, seed)
        self.futures = FuturesModel(self.index, self.cal, seed)
        self._bars = lru_cache(maxsize=2048)(self._stock_bars)

    def warm(self) -> None:
        """Build the yearly paths up front so the first request is fast."""
        self.daily.closes(self.daily.sessions[-1])

    def stock(self, code: str) -> Stock | None:
        return self.u.by_code.get(code.strip().upper())

    # ---- days --------------------------------------------------------------------------------------------------
    def last_started_session(self, now: datetime) -> date:
        """Today when the session has opened, else the previous session."""
        d = now.date()
        if self.cal.is_session(d) and now >= self.cal.session_bounds(d)[0]:
            return d
        return self.cal.previous_session(d)

    def is_closed_day(self, d: date, now: datetime) -> bool:
        """True when session d is over (its closing auction has printed) at `now`."""
        return now >= self.cal.session_bounds(d)[1] if d == now.date() else d < now.date()

    # ---- stock bars --------------------------------------------------------------------------------------------
    def ohlcv(self, i: int, d: date) -> tuple[int, int, int, int, int, int, int]:
        """Full-day (open, high, low, close, volume, value, base) of stock i on session d."""
        se, p = self.daily.series(i), self.daily.pos[d]
        return tuple(int(se[k][p]) for k in ("open", "high", "low", "close", "volume", "value", "base"))

    def _stock_bars(self, i: int, d: date) -> Bars:
        om, cm = self.index.bounds(d)
        return stock_bars(d, self.ohlcv(i, d)[:6], i, om, cm, self.seed, float(self.u.vol[i]))

    def bars(self, s: Stock, d: date, now: datetime) -> Bars:
        """Bars of session d as visible at `now`; the bar of the current minute is partial (forming)."""
        full = self._bars(s.idx, d)
        if d != now.date():
            return full if d < now.date() else full.upto(0)
        minute = minutes_of(now)
        cur, sec = int(minute), now.second
        done = int(np.searchsorted(full.minute, cur, side="left"))
        if done < len(full) and full.minute[done] == cur and full.first_sec[done] <= sec:
            return _with_forming(full, done, sec)
        return full.upto(done)

    def day_bar(self, s: Stock, d: date, now: datetime) -> DayBar | None:
        """The day's OHLCV as visible at `now` (None before the first trade of the day)."""
        full = self.ohlcv(s.idx, d)
        if self.is_closed_day(d, now):
            return DayBar(d, *full)
        b = self.bars(s, d, now)
        if not len(b):
            return None
        return DayBar(d, int(b.open[0]), int(b.high.max()), int(b.low.min()), int(b.close[-1]),
                      int(b.volume.sum()), int(b.value.sum()), full[6])

    def flows(self, s: Stock, d: date) -> Flows:
        o = self.ohlcv(s.idx, d)
        return flows(self.seed, s.idx, d.toordinal(), o[4], o[5])


def _with_forming(full: Bars, k: int, sec: int) -> Bars:
    """Bars 0..k where bar k shows only the trades up to second `sec` of its minute."""
    b = full.upto(k + 1)
    f = (sec - int(full.first_sec[k]) + 1) / (60 - int(full.first_sec[k]))
    o, c = float(b.open[k]), float(b.close[k])
    pc = int(round_tick(o + (c - o) * f))
    pc = min(max(pc, int(b.low[k])), int(b.high[k]))
    hi = max(int(round_tick(o + (b.high[k] - o) * f)), int(b.open[k]), pc)
    lo = min(int(round_tick(o - (o - b.low[k]) * f)), int(b.open[k]), pc)
    vol = max(1, int(b.volume[k] * f))
    arrays = [a.copy() for a in (b.minute, b.open, b.high, b.low, b.close, b.volume, b.value, b.first_sec)]
    arrays[2][k], arrays[3][k], arrays[4][k], arrays[5][k] = hi, lo, pc, vol
    arrays[6][k] = int(b.value[k] * vol / b.volume[k])
    return Bars(full.day, *arrays)
