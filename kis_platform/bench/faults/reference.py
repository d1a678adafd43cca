"""What the tables should hold without any fault, computed from the simulator's seeded market model (not from
anything the platform fetched or wrote): the independent source of truth the scenarios are measured against."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import cached_property

import pandas as pd

from kis_platform.calendar import KST
from kis_platform.defs.partitions import parse_minute_key
from kis_platform.simulator.config import DEFAULT_SIM_HOLIDAYS

MINUTE_COLUMNS = ["symbol", "bar_start", "open", "high", "low", "close", "volume", "turnover_krw"]
DAILY_COLUMNS = ["symbol", "trade_date", "adjusted", "open", "high", "low", "close", "volume", "turnover_krw"]


class Reference:
    """The market of a simulator started with `seed` and the default universe and holidays."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    @cached_property
    def market(self):
        from kis_platform.simulator.market import Market

        market = Market(self.seed, 2900, DEFAULT_SIM_HOLIDAYS)
        market.warm()
        return market

    def minute_bars(self, symbols: tuple[str, ...], keys: list[str]) -> pd.DataFrame:
        """The final bar of every symbol in every minute partition of `keys` (minutes without a trade have none).
        Turnover is the bar's own KRW value."""
        starts = {parse_minute_key(k) for k in keys}
        rows = []
        for day in sorted({s.date() for s in starts}):
            midnight = datetime.combine(day, datetime.min.time(), KST)
            for symbol in symbols:
                stock = self.market.stock(symbol)
                if stock is None:
                    continue
                bars = self.market.bars(stock, day, midnight + timedelta(days=1))  # after the day: all final
                for k in range(len(bars)):
                    start = midnight + timedelta(minutes=int(bars.minute[k]))
                    if start in starts:
                        rows.append((symbol, start, int(bars.open[k]), int(bars.high[k]), int(bars.low[k]),
                                     int(bars.close[k]), int(bars.volume[k]), int(bars.value[k])))
        return pd.DataFrame(rows, columns=MINUTE_COLUMNS)

    def daily_bars(self, symbols: tuple[str, ...], days: list[date]) -> pd.DataFrame:
        """KIS daily bars of the watch list, raw and adjusted (adjusted prices divide by the split ratio)."""
        m, rows = self.market, []
        for day in days:
            for symbol in symbols:
                stock = m.stock(symbol)
                if stock is None or not m.u.listed_on(stock, day):
                    continue
                o, h, lo, c, v, value, _base = m.ohlcv(stock.idx, day)
                ratio = m.u.split_ratio_before(stock, day)
                rows.append((symbol, day, False, o, h, lo, c, v, value))
                rows.append((symbol, day, True, *(round(p / ratio) for p in (o, h, lo, c)), v * ratio, value))
        return pd.DataFrame(rows, columns=DAILY_COLUMNS)
