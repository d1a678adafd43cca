"""The current state of one stock as the quotation TRs' output1 objects show it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from kis_platform.simulator.market import Market
from kis_platform.simulator.market.ticks import limits, tick_size
from kis_platform.simulator.market.universe import Stock


@dataclass(frozen=True)
class Snap:
    """Price, change and day totals of a stock at an instant (zeros before the open)."""

    day: date
    price: int
    base: int  # previous close
    open: int
    high: int
    low: int
    volume: int
    value: int
    upper: int
    lower: int
    prev: tuple[int, int, int, int, int]  # previous session open, high, low, close, volume

    @property
    def diff(self) -> int:
        return self.price - self.base


def trade_day(m: Market, now: datetime) -> tuple[date, bool]:
    """(day shown as "today", session started?): a session day shows itself with zeros before the open."""
    today = now.date()
    if m.cal.is_session(today):
        return today, now >= m.cal.session_bounds(today)[0]
    return m.cal.previous_session(today), True


def snapshot(m: Market, s: Stock, now: datetime) -> Snap | None:
    """None when the stock is not listed on the day shown."""
    d, started = trade_day(m, now)
    if not m.u.listed_on(s, d):
        return None
    o, h, lo, c, v, val, base = m.ohlcv(s.idx, d)
    prev_d = m.cal.previous_session(d)
    po, ph, pl, pc, pv, _, _ = m.ohlcv(s.idx, prev_d)
    upper, lower = (int(x) for x in limits(base))
    bar = m.day_bar(s, d, now) if started else None
    if bar is None:
        return Snap(d, base, base, 0, 0, 0, 0, 0, upper, lower, (po, ph, pl, pc, pv))
    return Snap(d, bar.close, base, bar.open, bar.high, bar.low, bar.volume, bar.value, upper, lower,
                (po, ph, pl, pc, pv))


def quote_sides(price: int) -> tuple[int, int]:
    """(ask, bid) one tick around the price."""
    t = int(tick_size(price))
    return price + t, max(price - t, 0)
