"""What the storage benchmarks share: the database to run against and synthetic minute bars."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Iterator

import numpy as np
import pandas as pd

KST = "Asia/Seoul"
SESSION_MINUTES = 381  # 09:00 … 15:20 continuous trading plus the 15:30 closing-auction bar


def add_dsn_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dsn", help="market database DSN (default: the platform's, embedded if no DATABASE_URL)")


@contextlib.contextmanager
def market_database(dsn: str | None) -> Iterator[str]:
    """The DSN to benchmark against, migrated; an embedded server started here is stopped afterwards."""
    from kis_platform.storage.migrations import upgrade

    if dsn:
        upgrade(dsn)
        yield dsn
        return
    from kis_platform.settings import get_settings
    from kis_platform.storage.database import ensure_database, market_dsn

    settings = get_settings()
    runtime = ensure_database(settings)
    try:
        dsn = market_dsn(settings)
        upgrade(dsn)
        yield dsn
    finally:
        runtime.stop()


def session_minutes(day: pd.Timestamp) -> pd.DatetimeIndex:
    first = pd.Timestamp(f"{day.date()} 09:00", tz=KST)
    regular = pd.date_range(first, periods=SESSION_MINUTES - 1, freq="min")
    return regular.append(pd.DatetimeIndex([first + pd.Timedelta(minutes=390)]))


def synthetic_minute_bars(n_symbols: int, days: pd.DatetimeIndex, seed: int = 0) -> pd.DataFrame:
    """Random-walk one-minute bars, every session minute of `days` for `n_symbols` codes (valid OHLC)."""
    rng = np.random.default_rng(seed)
    stamps = pd.DatetimeIndex(np.concatenate([session_minutes(d).values for d in days])).tz_localize("UTC")
    per_symbol = len(stamps)
    n = per_symbol * n_symbols
    close = (50_000 + np.cumsum(rng.integers(-50, 51, n)) % 40_000).astype(np.int64) + 10_000
    openp = close + rng.integers(-100, 100, n)
    high = np.maximum(openp, close) + rng.integers(0, 150, n)
    low = np.minimum(openp, close) - rng.integers(0, 150, n)
    volume = rng.integers(0, 50_000, n)
    bar_start = pd.DatetimeIndex(np.tile(stamps.values, n_symbols)).tz_localize("UTC").tz_convert(KST)
    symbols = [f"{100000 + 37 * i:06d}" for i in range(n_symbols)]
    return pd.DataFrame({
        "symbol": np.repeat(symbols, per_symbol),
        "bar_start": bar_start,
        "bar_end": bar_start + pd.Timedelta(minutes=1),
        "open": openp, "high": high, "low": low, "close": close, "volume": volume,
        "turnover_krw": volume * close,
        "session": "krx_regular",
        "trade_date": np.tile(np.asarray(stamps.tz_convert(KST).date), n_symbols),
        "is_final": True,
        "source": "SIM_KIS",
        "fetched_at": pd.Timestamp("2025-01-01 16:00", tz=KST),
    })
