"""Daily prices: one seeded random path per stock and per index factor, and the daily OHLCV table of a session.

Log prices follow a mean-reverting walk (AR(1), half-life about a year) around each stock's reference price,
driven by a market factor (KOSPI or KOSDAQ) times beta plus idiosyncratic noise. Paths are built one calendar
year at a time (all stocks at once) and kept; a session's OHLCV table is derived from its close and the previous
close with a per-day seeded generator, so any day is computed in well under a millisecond and identically every
time. Minute bars (minutes.py) are then constructed to aggregate exactly to this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

import numpy as np

from kis_platform.calendar import Calendar
from kis_platform.simulator.market.noise import normals
from kis_platform.simulator.market.ticks import ceil_tick, floor_tick, limits, round_tick
from kis_platform.simulator.market.universe import Universe

PHI = 0.9982  # daily AR coefficient of log prices around the reference level
INDEX_BASE = {"KOSPI200": 410.0, "KOSDAQ150": 1350.0}
INDEX_NAMES = ("KOSPI200", "KOSDAQ150", "KOSPI", "KOSPI100", "KOSPI50", "KOSDAQ")
INDEX_SCALE = {"KOSPI": ("KOSPI200", 7.42), "KOSPI100": ("KOSPI200", 0.74), "KOSPI50": ("KOSPI200", 0.68),
               "KOSDAQ": ("KOSDAQ150", 0.61)}


@dataclass(frozen=True)
class DayTable:
    """OHLCV of every stock on one session (raw prices, KRW); `base` is the reference price for limits."""

    day: date
    prev: date | None
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    base: np.ndarray
    volume: np.ndarray
    value: np.ndarray
    upper: np.ndarray
    lower: np.ndarray
    listed: np.ndarray
    kospi: np.ndarray
    index: dict[str, tuple[float, float, float, float, float]]  # name -> (open, high, low, close, prev close)


class DailyModel:
    """Daily closes of all stocks and indices over the calendar's sessions, and OHLCV tables derived from them."""

    def __init__(self, universe: Universe, calendar: Calendar, seed: int) -> None:
        self.u, self.cal, self.seed = universe, calendar, seed
        first = date(2015, 1, 1)
        self.sessions: list[date] = calendar.sessions(first, date(first.year + 14, 12, 31))
        self.pos = {d: i for i, d in enumerate(self.sessions)}
        self._closes: np.ndarray | None = None
        self._index: np.ndarray | None = None
        self._splits = [(u_idx, self.pos.get(day, -1), ratio) for u_idx, day, ratio in
                        ((universe.by_code[c].idx, d, r) for c, (d, r) in universe.events.splits.items())]
        self.day = lru_cache(maxsize=64)(self._day)
        self.series = lru_cache(maxsize=512)(self._series)

    # ---- paths ------------------------------------------------------------------------------------------------
    def _build(self) -> None:
        """Raw closes int32 [sessions x stocks] and index log levels [sessions x 2], one year block at a time."""
        u = self.u
        rng0 = np.random.default_rng([self.seed, 2])
        x, y = rng0.normal(0, 0.25, u.n), np.zeros(2)
        xs_all, ys_all = [], []
        for year in sorted({d.year for d in self.sessions}):
            days = [d for d in self.sessions if d.year == year]
            rng = np.random.default_rng([self.seed, 3, year])
            m1 = rng.normal(0.0002, 0.0105, len(days))
            m2 = 0.75 * m1 + rng.normal(0.0001, 0.008, len(days))
            eps = rng.standard_normal((len(days), u.n)) * u.vol
            factor = np.where(u.is_kospi_end, m1[:, None], m2[:, None])
            xs = np.clip(u.beta * factor + eps, -0.2, 0.2)
            ys = np.column_stack([m1, m2])
            for t in range(len(days)):
                x = xs[t] = PHI * x + xs[t]
                y = ys[t] = 0.999 * y + ys[t]
            xs_all.append(round_tick(u.ref_price * np.exp(xs)).astype(np.int32))
            ys_all.append(ys)
        closes = np.vstack(xs_all)
        for i, split_pos, ratio in self._splits:
            closes[:split_pos, i] = round_tick(closes[:split_pos, i] * ratio)
        self._closes, self._index = closes, np.vstack(ys_all)

    @property
    def close_matrix(self) -> np.ndarray:
        if self._closes is None:
            self._build()
        return self._closes

    def closes(self, d: date) -> np.ndarray:
        return self.close_matrix[self.pos[d]].astype(np.int64)

    def index_close(self, d: date, name: str) -> float:
        base, scale = INDEX_SCALE.get(name, (name, 1.0))
        self.close_matrix  # noqa: B018 - builds the paths
        level = self._index[self.pos[d], 0 if base == "KOSPI200" else 1]
        return round(INDEX_BASE[base] * scale * float(np.exp(level)), 2)

    def prev_session(self, d: date) -> date | None:
        i = self.pos[d]
        return self.sessions[i - 1] if i > 0 else None

    # ---- OHLCV ------------------------------------------------------------------------------------------------
    def ohlcv(self, i: np.ndarray, p: np.ndarray) -> dict[str, np.ndarray]:
        """OHLCV of stocks i on session positions p (broadcast); elementwise, so any batching agrees."""
        cm = self.close_matrix
        close = cm[p, i].astype(np.int64)
        base = cm[np.maximum(p - 1, 0), i].astype(float)
        for si, split_pos, ratio in self._splits:
            hit = (i == si) & (p == split_pos)
            base = np.where(hit, base / ratio, base)
        base = round_tick(base)
        upper, lower = limits(base)
        close = np.clip(close, lower, upper)
        z = [normals(self.seed, 40 + k, i, p) for k in range(4)]
        sig = self.u.vol[i]
        open_ = np.clip(round_tick(base * np.exp(0.35 * sig * z[0])), lower, upper)
        high = np.clip(ceil_tick(np.maximum(open_, close) * np.exp(0.6 * sig * np.abs(z[1]))), lower, upper)
        low = np.clip(floor_tick(np.minimum(open_, close) * np.exp(-0.6 * sig * np.abs(z[2]))), lower, upper)
        high, low = np.maximum(high, np.maximum(open_, close)), np.minimum(low, np.minimum(open_, close))
        move = np.abs(np.log(close / base))
        volume = np.maximum(self.u.base_volume[i] * np.exp(0.45 * z[3]) * (1 + 8 * move), 30).astype(np.int64)
        vwap = (4 * open_ + high + low + 4 * close) / 10  # fitted to the minute bars' typical prices
        value = (volume * vwap).astype(np.int64)
        return {"open": open_, "high": high, "low": low, "close": close, "base": base, "volume": volume,
                "value": value, "upper": upper, "lower": lower}

    def _series(self, i: int) -> dict[str, np.ndarray]:
        """One stock's OHLCV over every session (index = session position)."""
        p = np.arange(len(self.sessions))
        return self.ohlcv(np.full(len(p), i), p)

    def _day(self, d: date) -> DayTable:
        u = self.u
        p = self.pos[d]
        t = self.ohlcv(np.arange(u.n), np.full(u.n, p))
        prev = self.prev_session(d)
        index = {name: self._index_ohlc(d, prev, name) for name in ("KOSPI200", "KOSDAQ150", *INDEX_SCALE)}
        return DayTable(d, prev, t["open"], t["high"], t["low"], t["close"], t["base"], t["volume"], t["value"],
                        t["upper"], t["lower"], u.listed_mask(d), u.markets_on(d), index)

    def _index_ohlc(self, d: date, prev: date | None, name: str) -> tuple[float, float, float, float, float]:
        c = self.index_close(d, name)
        p = self.index_close(prev, name) if prev else c
        z = normals(self.seed, 50 + INDEX_NAMES.index(name), np.arange(3), self.pos[d]) * 0.004
        o = round(p * float(np.exp(z[0])), 2)
        h = round(max(o, c) * float(np.exp(abs(z[1]))), 2)
        lo = round(min(o, c) * float(np.exp(-abs(z[2]))), 2)
        return (o, h, lo, c, p)
