"""Small, deterministic frames shaped like the platform's tables, for storage tests."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

KST = "Asia/Seoul"


def minute_bars(
    day: dt.date,
    symbols: list[str],
    minutes: int = 30,
    seed: int = 0,
    source: str = "SIM_KIS",
    start: str = "09:00",
) -> pd.DataFrame:
    """`minutes` consecutive one-minute bars per symbol from `start` KST on `day`, valid OHLC."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp(f"{day} {start}", tz=KST)
    starts = pd.date_range(first, periods=minutes, freq="min")
    n = len(starts) * len(symbols)
    close = rng.integers(50_000, 60_000, n)
    openp = close + rng.integers(-200, 200, n)
    high = np.maximum(openp, close) + rng.integers(0, 300, n)
    low = np.minimum(openp, close) - rng.integers(0, 300, n)
    volume = rng.integers(0, 20_000, n)
    bar_start = pd.DatetimeIndex(np.tile(starts.values, len(symbols))).tz_localize("UTC").tz_convert(KST)
    return pd.DataFrame({
        "symbol": np.repeat(symbols, len(starts)),
        "bar_start": bar_start,
        "bar_end": bar_start + pd.Timedelta(minutes=1),
        "open": openp, "high": high, "low": low, "close": close,
        "volume": volume,
        "turnover_krw": volume * close,
        "session": "krx_regular",
        "trade_date": day,
        "is_final": True,
        "source": source,
        "fetched_at": pd.Timestamp("2025-03-04 15:40", tz=KST),
    })


def day_window(day: dt.date) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[00:00, next 00:00) KST of a trading day: the window of a daily partition."""
    start = pd.Timestamp(str(day), tz=KST)
    return start, start + pd.Timedelta(days=1)
