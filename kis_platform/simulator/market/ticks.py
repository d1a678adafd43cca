"""KRX price grids: stock tick sizes (one table for KOSPI and KOSDAQ since 2023-01-25) and price limits."""

from __future__ import annotations

import numpy as np

_BOUNDS = np.array([2_000, 5_000, 20_000, 50_000, 200_000, 500_000])
_TICKS = np.array([1, 5, 10, 50, 100, 500, 1_000])


def tick_size(price: np.ndarray | float) -> np.ndarray:
    """Tick of a stock price (array or scalar)."""
    return _TICKS[np.searchsorted(_BOUNDS, price, side="right")]


def round_tick(price: np.ndarray | float) -> np.ndarray:
    """Nearest price on the tick grid (int64)."""
    t = tick_size(price)
    return (np.round(np.asarray(price) / t) * t).astype(np.int64)


def floor_tick(price: np.ndarray | float) -> np.ndarray:
    t = tick_size(price)
    return (np.floor(np.asarray(price) / t) * t).astype(np.int64)


def ceil_tick(price: np.ndarray | float) -> np.ndarray:
    t = tick_size(price)
    return (np.ceil(np.asarray(price) / t) * t).astype(np.int64)


def on_grid(price: np.ndarray | float) -> np.ndarray:
    """True where a price lies on the tick grid."""
    p = np.asarray(price)
    return (p > 0) & (p % tick_size(p) == 0)


def limits(base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(upper, lower) daily price limits: base price +-30 %, rounded inward to the grid."""
    return floor_tick(base * 1.3), np.maximum(ceil_tick(base * 0.7), 1)


def option_tick(price: np.ndarray) -> np.ndarray:
    """KOSPI200 option premium tick: 0.01 below 10 points, 0.05 from 10."""
    return np.where(price < 10, 0.01, 0.05)
