"""KRX price grids (호가가격단위): which prices an order book can print.

Sources and assumptions (see docs/data-quality.md):

* Stocks since 2023-01-25 (KRX rule change of that day, one table for KOSPI, KOSDAQ and KONEX):
  <2,000 → 1; <5,000 → 5; <20,000 → 10; <50,000 → 50; <200,000 → 100; <500,000 → 500; ≥500,000 → 1,000 KRW.
* Stocks before 2023-01-25: KOSPI <1,000 → 1; <5,000 → 5; <10,000 → 10; <50,000 → 50; <100,000 → 100;
  <500,000 → 500; ≥500,000 → 1,000. KOSDAQ/KONEX the same up to 50,000, then 100 KRW flat.
* ETF/ETN (market "ETF"): 5 KRW at every price.
* When the market of a symbol is unknown (the minute and daily tables carry no market), a price passes if it is
  on the stock grid *or* the 5-KRW ETF grid: a watch list may hold ETFs, and refusing a valid ETF bar is worse
  than letting a rare 5-KRW-off stock price through. Pass the markets (`tick_markets`) for the strict rule.
* Index derivatives (points): futures KOSPI200 0.05, MINI_KOSPI200 0.02, KOSDAQ150 0.10; KOSPI200 options
  (monthly and weeklies) 0.01 below 10 points, 0.05 from 10. Other option families are not checked.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date

import numpy as np
import pandas as pd

UNIFIED_FROM = date(2023, 1, 25)
_NEW = (np.array([2_000, 5_000, 20_000, 50_000, 200_000, 500_000]), np.array([1, 5, 10, 50, 100, 500, 1_000]))
_OLD_KOSPI = (np.array([1_000, 5_000, 10_000, 50_000, 100_000, 500_000]), np.array([1, 5, 10, 50, 100, 500, 1_000]))
_OLD_KOSDAQ = (np.array([1_000, 5_000, 10_000, 50_000]), np.array([1, 5, 10, 50, 100]))
ETF_TICK = 5
FUTURES_TICK = {"KOSPI200": 0.05, "MINI_KOSPI200": 0.02, "KOSDAQ150": 0.10}
_KOSPI200_OPTIONS = {"KOSPI200", "WEEKLY_MON", "WEEKLY_THU"}
MARKETS = ("KOSPI", "KOSDAQ", "KONEX", "ETF")

_markets: ContextVar[Mapping[str, str] | None] = ContextVar("kis_platform_tick_markets", default=None)


def _table(market: str, on_date: date) -> tuple[np.ndarray, np.ndarray]:
    if on_date >= UNIFIED_FROM:
        return _NEW
    return _OLD_KOSPI if market == "KOSPI" else _OLD_KOSDAQ


def tick_size(price: float, market: str, on_date: date) -> int:
    """The KRW tick of a stock (or ETF) price on `on_date` in `market` (KOSPI, KOSDAQ, KONEX or ETF)."""
    if market not in MARKETS:
        raise ValueError(f"unknown market {market!r}; expected one of {MARKETS}")
    if market == "ETF":
        return ETF_TICK
    bounds, ticks = _table(market, on_date)
    return int(ticks[np.searchsorted(bounds, price, side="right")])


def _on(prices: np.ndarray, bounds: np.ndarray, ticks: np.ndarray) -> np.ndarray:
    return prices % ticks[np.searchsorted(bounds, prices, side="right")] == 0


@contextmanager
def tick_markets(markets: Mapping[str, str] | None) -> Iterator[None]:
    """Within the block, stock tick rules know each symbol's market (symbol -> KOSPI/KOSDAQ/KONEX/ETF)."""
    token = _markets.set(markets)
    try:
        yield
    finally:
        _markets.reset(token)


def stock_on_grid(price: pd.Series, trade_date: pd.Series, symbol: pd.Series) -> pd.Series:
    """True where a KRW stock price is on its tick grid (null prices pass: other rules judge them)."""
    p = pd.to_numeric(price, errors="coerce").astype("float64").to_numpy()
    ok = np.ones(len(p), dtype=bool)
    known = ~np.isnan(p) & (p > 0)
    markets = _markets.get() or {}
    days = pd.Series(trade_date).to_numpy()
    new = np.array([not pd.isna(d) and d >= UNIFIED_FROM for d in days], dtype=bool)
    market = pd.Series(symbol).map(markets).to_numpy(dtype=object)
    q = np.where(known, p, 1).astype(np.int64)
    etf = (q % ETF_TICK == 0)
    on_new = _on(q, *_NEW)
    on_old_kospi, on_old_kosdaq = _on(q, *_OLD_KOSPI), _on(q, *_OLD_KOSDAQ)
    stock = np.where(new, on_new, np.where(market == "KOSPI", on_old_kospi,
                                            np.where(pd.isna(market), on_old_kospi | on_old_kosdaq, on_old_kosdaq)))
    verdict = np.where(market == "ETF", etf, np.where(pd.isna(market), stock | etf, stock))
    ok[known] = verdict[known]
    return pd.Series(ok, index=price.index)


def _multiple(p: np.ndarray, tick: np.ndarray) -> np.ndarray:
    steps = p / tick
    return np.abs(steps - np.round(steps)) < 1e-6


def futures_on_grid(price: pd.Series, underlying: pd.Series) -> pd.Series:
    """True where a futures price (points) is on its product's grid; unknown products pass."""
    p = pd.to_numeric(price, errors="coerce").astype("float64").to_numpy()
    tick = pd.Series(underlying).map(FUTURES_TICK).astype("float64").to_numpy()
    checkable = ~np.isnan(p) & ~np.isnan(tick)
    ok = np.ones(len(p), dtype=bool)
    ok[checkable] = _multiple(p[checkable], tick[checkable])
    return pd.Series(ok, index=price.index)


def option_on_grid(price: pd.Series, underlying: pd.Series) -> pd.Series:
    """True where a KOSPI200 option premium (points) is on its grid; zero, null and other families pass."""
    p = pd.to_numeric(price, errors="coerce").astype("float64").to_numpy()
    fam = pd.Series(underlying).isin(_KOSPI200_OPTIONS).to_numpy()
    checkable = fam & ~np.isnan(p) & (p > 0)
    tick = np.where(p < 10, 0.01, 0.05)
    ok = np.ones(len(p), dtype=bool)
    ok[checkable] = _multiple(p[checkable], tick[checkable])
    return pd.Series(ok, index=price.index)
