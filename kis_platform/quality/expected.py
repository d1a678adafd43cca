"""How many rows a data set should have for one symbol and trading day, and from when the source has them.

Expected counts come from the calendar's session (late opens and CSAT days included):

* minute_bars: the minute grid open..close minus the 10-minute closing-auction call before the close (no trades,
  hence no bars; the close bar itself is the auction) — 381 bars on a normal day.
* futures_minute_bars: 15 min before the open to 15 min after the close, minus the 10-minute closing call
  (15:35-15:44) — 411 bars on a normal day.
* option_chain_snapshots: one snapshot per minute of the stock session [open, close) — 390 on a normal day.
* daily_bars, investor_flows: one row.

While the day is running, only bars that have closed by `now` are expected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from kis_platform import calendar
from kis_platform.calendar import KST

ExpectedFn = Callable[[date, str], int]
CLOSING_CALL = timedelta(minutes=10)
DERIVATIVES = timedelta(minutes=15)
MINUTE = timedelta(minutes=1)


def _count(starts: list[datetime], now: datetime | None) -> int:
    return sum(1 for s in starts if now is None or s + MINUTE <= now)


def in_closing_call(bar_start: datetime) -> bool:
    """True for a stock minute of the closing-auction call (normally 15:20-15:29): no trades, hence no bar."""
    _, c = calendar.session_bounds(bar_start.astimezone(KST).date())
    return c - CLOSING_CALL <= bar_start < c


def stock_minutes(day: date, now: datetime | None = None) -> int:
    return _count([t for t in calendar.minute_grid(day) if not in_closing_call(t)], now)


def futures_minutes(day: date, now: datetime | None = None) -> int:
    o, c = calendar.session_bounds(day)
    n = int((c - o + 2 * DERIVATIVES) / MINUTE) + 1
    grid = [o - DERIVATIVES + i * MINUTE for i in range(n)]
    call = (c + DERIVATIVES - CLOSING_CALL, c + DERIVATIVES)
    return _count([t for t in grid if not (call[0] <= t < call[1])], now)


def snapshot_minutes(day: date, now: datetime | None = None) -> int:
    o, c = calendar.session_bounds(day)
    return _count([o + i * MINUTE for i in range(int((c - o) / MINUTE))], now)


def one_row(day: date, now: datetime | None = None) -> int:
    return 1


DEFAULT_EXPECTED: dict[str, Callable[[date, datetime | None], int]] = {
    "minute_bars": stock_minutes, "futures_minute_bars": futures_minutes, "option_chain_snapshots": snapshot_minutes,
    "daily_bars": one_row, "investor_flows": one_row,
}


def published_at(dataset: str, day: date) -> datetime:
    """When the source has the whole day: minute bars at the close (+1 min), futures at close + 16 min, daily bars
    at 08:00 the next day (KRX publishes D+1 08:00; KIS earlier), final investor flows at 18:00 KST."""
    _, c = calendar.session_bounds(day)
    return {
        "minute_bars": c + MINUTE,
        "futures_minute_bars": c + DERIVATIVES + MINUTE,
        "option_chain_snapshots": c,
        "daily_bars": datetime.combine(day + timedelta(days=1), time(8, 0), KST),
        "investor_flows": datetime.combine(day, time(18, 0), KST),
    }[dataset]
