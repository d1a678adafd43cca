"""Row rules shared by the table schemas, as vectorised functions returning True where a row is valid.

Each rule has a stable name (listed in `catalog.RULES`): it appears in check metadata and in
data_quality_issues.rule, so renaming one breaks analysts' queries — add a new name instead.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import lru_cache

import numpy as np
import pandas as pd

from kis_platform import calendar
from kis_platform.calendar import KST

SYMBOL_RE = r"^[0-9A-Z]{6}$"
ISIN_RE = r"^[A-Z]{2}[A-Z0-9]{9}[0-9]$"
PRICE_LIMIT = 0.30  # KRX daily price limit: ±30 % of the base price (previous close) since 2015-06-15
DERIVATIVES_MARGIN = timedelta(minutes=15)  # index derivatives open 15 min before and close 15 min after stocks
EXTENDED_HOURS = (timedelta(hours=8), timedelta(hours=20))  # NXT 08:00-20:00 and KRX after-hours fit inside


@lru_cache(maxsize=4096)
def isin_valid(isin: str) -> bool:
    """ISIN format (2 letters, 9 alphanumerics, 1 digit) and its Luhn check digit (ISO 6166).

    Letters become two digits (A=10 … Z=35), then the Luhn sum over the digit string must be a multiple of 10.
    """
    if not isinstance(isin, str) or not re.fullmatch(ISIN_RE, isin):
        return False
    digits = "".join(str(int(c, 36)) for c in isin)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


@lru_cache(maxsize=8192)
def _bounds(day: date) -> tuple[datetime, datetime] | None:
    try:
        return calendar.session_bounds(day)
    except ValueError:
        return None


def _day_bounds(days: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(open, close, is_session) per row, as UTC nanoseconds; closed days get NaT."""
    opens, closes = [], []
    for d in days:
        b = None if pd.isna(d) else _bounds(pd.Timestamp(d).date())
        opens.append(pd.Timestamp(b[0]) if b else pd.NaT)
        closes.append(pd.Timestamp(b[1]) if b else pd.NaT)
    o = pd.DatetimeIndex(opens, tz="UTC") if opens else pd.DatetimeIndex([], tz="UTC")
    c = pd.DatetimeIndex(closes, tz="UTC") if closes else pd.DatetimeIndex([], tz="UTC")
    return o, c, ~o.isna()


def is_session_day(days: pd.Series) -> pd.Series:
    """True where the date is a KRX trading day."""
    return pd.Series(_day_bounds(days)[2], index=days.index)


def kst_date(ts: pd.Series) -> pd.Series:
    return ts.dt.tz_convert(KST).dt.date


def on_minute(ts: pd.Series) -> pd.Series:
    """True where a timestamp is exactly on a minute (bars and snapshots are minute labels)."""
    return ts.isna() | (ts.dt.floor("min") == ts)


def stock_bar_in_session(bar_start: pd.Series, trade_date: pd.Series, session: pd.Series | None) -> pd.Series:
    """KRX regular/auction bars start within [open, close] of their trading day (the close bar, normally 15:30,
    is the closing auction); after-hours and NXT bars within 08:00-20:00 of a trading day."""
    o, c, ok = _day_bounds(trade_date)
    ts = pd.DatetimeIndex(bar_start).tz_convert("UTC")
    extended = np.zeros(len(ts), dtype=bool) if session is None else ~session.fillna("krx_regular").str.startswith(
        ("krx_regular", "krx_open", "krx_close")).to_numpy()
    midnight = pd.DatetimeIndex([pd.Timestamp(d, tz=KST) if not pd.isna(d) else pd.NaT for d in trade_date]) \
        if len(ts) else pd.DatetimeIndex([], tz=KST)
    lo = np.where(extended, (midnight + EXTENDED_HOURS[0]).tz_convert("UTC"), o)
    hi = np.where(extended, (midnight + EXTENDED_HOURS[1]).tz_convert("UTC"), c)
    inside = ok & (ts >= pd.DatetimeIndex(lo)) & (ts <= pd.DatetimeIndex(hi))
    return pd.Series(np.asarray(inside), index=bar_start.index)


def derivatives_in_session(ts: pd.Series, trade_date: pd.Series, session: pd.Series | None = None) -> pd.Series:
    """Day session: [stock open - 15 min, stock close + 15 min] (08:45-15:45; the 15:45 bar is the closing
    auction). Night session (drv_night): from 18:00 of the previous trading day to 06:00 the next morning."""
    o, c, ok = _day_bounds(trade_date)
    t = pd.DatetimeIndex(ts).tz_convert("UTC")
    day = ok & (t >= o - DERIVATIVES_MARGIN) & (t <= c + DERIVATIVES_MARGIN)
    if session is None:
        return pd.Series(np.asarray(day), index=ts.index)
    prev = [pd.Timestamp(calendar.previous_session(d), tz=KST) if b else pd.NaT for d, b in zip(trade_date, ok)]
    start = pd.DatetimeIndex(prev).tz_convert("UTC") + timedelta(hours=18)
    night = ok & (t >= start) & (t < start + timedelta(hours=12))
    is_night = (session == "drv_night").to_numpy()
    return pd.Series(np.where(is_night, np.asarray(night), np.asarray(day)), index=ts.index)


def first_of_keys(df: pd.DataFrame, keys: list[str]) -> pd.Series:
    """True except for the second and later copies of a key: the surplus rows fail, the first is kept."""
    present = [k for k in keys if k in df.columns]
    return ~df.duplicated(subset=present, keep="first")


def ohlc_in_range(df: pd.DataFrame) -> pd.Series:
    """open and close lie within [low, high] (nulls pass: a no-trade row has no prices)."""
    ok = (df["open"] <= df["high"]) & (df["open"] >= df["low"]) & (df["close"] <= df["high"]) & (
        df["close"] >= df["low"])
    return ok.fillna(True).astype(bool)


def daily_move_within_limit(close: pd.Series, prev_close: pd.Series, limit: float = PRICE_LIMIT) -> pd.Series:
    """True where close is within ±`limit` of the previous close (KRX price limit; rule `price_limit_30pct`).

    `prev_close` is aligned on the same index (e.g. `prev_close_in_frame(df)` or the previous session's close
    from daily_bars). The limit is a rounded tick band, so 0.5 % slack covers tick rounding. Rows without a
    previous close pass. New listings, re-listings and ex-rights days reset the base price and can break it:
    that is why this rule is a WARN spike check, not part of the blocking guard.
    """
    c = pd.to_numeric(close, errors="coerce").astype("float64")
    p = pd.to_numeric(prev_close, errors="coerce").astype("float64")
    move = (c / p - 1).abs()
    return (move.isna() | (move <= limit + 0.005)).reindex(close.index, fill_value=True)


def prev_close_in_frame(df: pd.DataFrame, by: str = "symbol", on: str = "trade_date") -> pd.Series:
    """Previous row's close of the same symbol within the frame (date order), aligned to df's index."""
    ordered = df.sort_values([by, on])
    return ordered.groupby(by, sort=False)["close"].shift(1).reindex(df.index)
