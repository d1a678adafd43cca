"""Seeding the market database for ledger and WARN-check tests."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg

from kis_platform import calendar
from kis_platform.quality.expected import CLOSING_CALL
from kis_platform.storage.writer import MarketWriter
from kis_platform_tests.quality import frames as F


def expected_starts(day: dt.date) -> list[pd.Timestamp]:
    """The minute-bar starts a complete day has (grid minus the closing-auction call)."""
    _, close = calendar.session_bounds(day)
    return [pd.Timestamp(t) for t in calendar.minute_grid(day) if not (close - CLOSING_CALL <= t < close)]


def bars_at(symbol: str, starts: list[pd.Timestamp], volume: int = 100, price: int = 57_000) -> pd.DataFrame:
    s = pd.DatetimeIndex(starts).tz_convert("Asia/Seoul")
    return pd.DataFrame({"symbol": symbol, "bar_start": s, "bar_end": s + pd.Timedelta(minutes=1), "open": price,
                         "high": price + 100, "low": price - 100, "close": price, "volume": volume,
                         "trade_date": [t.date() for t in s], "source": "SIM_KIS", "fetched_at": F.FETCHED})


def write_minutes(dsn: str, df: pd.DataFrame) -> None:
    MarketWriter(dsn).upsert("minute_bars", df, ["symbol", "bar_start"])


def list_symbols(dsn: str, symbols: list[str], since: dt.date = dt.date(2020, 1, 2)) -> None:
    """instrument_history rows making `symbols` listed from `since` (ISINs only need the table's shape)."""
    with psycopg.connect(dsn) as conn:
        for i, s in enumerate(symbols):
            conn.execute("INSERT INTO instrument_history (isin, valid_from, symbol, name, market, change_reason, "
                         "source) VALUES (%s, %s, %s, %s, 'KOSPI', 'FIRST_SEEN', 'SIM_KIS')",
                         (f"KR7{i:09d}", since, s, f"종목{i}"))
