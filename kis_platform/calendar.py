"""The KRX trading calendar of the platform: sessions, their open/close instants, and the minute grid.

Built on `exchange_calendars` "XKRX" (holidays, 10:00 open on the first session of the year), with two additions:
CSAT (수능) days after 2020, which XKRX 4.13 does not shift (its table ends in 2020), and an overlay of extra
closed days (e.g. short-notice holidays reported by the KIS holiday API, CTCA0903R) that XKRX does not know yet.

Building XKRX costs several seconds (lunar holiday rules), so the derived table of sessions is cached on disk,
keyed by the exchange_calendars version.
"""

from __future__ import annotations

import bisect
import json
import tempfile
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

from kis_platform.private_files import replace_file

KST = ZoneInfo("Asia/Seoul")
FIRST_YEAR = 2015
# XKRX's CSAT list stops at 2020; the later dates are from KRX notices (whole schedule +1 h: 10:00-16:30).
# 2026-11-19 is the announced date of the 2027 CSAT.
CSAT_DAYS = frozenset(
    date.fromisoformat(d)
    for d in ("2021-11-18", "2022-11-17", "2023-11-16", "2024-11-14", "2025-11-13", "2026-11-19")
)


def _last_year() -> int:
    return date.today().year + 2


@lru_cache(maxsize=1)
def _table() -> dict[date, tuple[time, time]]:
    """session -> (open, close) in KST, from XKRX (disk-cached) with the CSAT shift applied."""
    last = _last_year()
    version = metadata.version("exchange-calendars")
    cache = Path(tempfile.gettempdir()) / f"kis_platform_xkrx_{version}_{FIRST_YEAR}_{last}.json"
    try:
        raw = json.loads(cache.read_text())
    except (OSError, ValueError):
        import exchange_calendars as xc  # slow import (~2 s): only on a cache miss

        cal = xc.get_calendar("XKRX", start=f"{FIRST_YEAR}-01-01", end=f"{last}-12-31")
        csat = {ts.date() for ts in cal.special_offsets_adhoc[-1][-1]}
        raw = {}
        for label, o, c in zip(cal.sessions, cal.opens, cal.closes):
            day = label.date()
            o_t, c_t = o.tz_convert(KST).strftime("%H:%M"), c.tz_convert(KST).strftime("%H:%M")
            raw[day.isoformat()] = ["10:00", "16:30"] if day in csat else [o_t, c_t]
        replace_file(cache, json.dumps(raw), mode=0o644)  # shared temp dir: other users may read it
    table = {date.fromisoformat(k): (time.fromisoformat(v[0]), time.fromisoformat(v[1])) for k, v in raw.items()}
    for day in CSAT_DAYS & table.keys():
        table[day] = (time(10, 0), time(16, 30))
    return table


class Calendar:
    """KRX sessions from XKRX minus `extra_closed` (days the exchange announced closed at short notice)."""

    def __init__(self, extra_closed: Iterable[date] = ()) -> None:
        self.extra_closed: frozenset[date] = frozenset(extra_closed)
        self._days = sorted(d for d in _table() if d not in self.extra_closed)

    def with_extra_closed(self, days: Iterable[date]) -> Calendar:
        """A new calendar with `days` closed in addition to this one's closed days."""
        return Calendar(self.extra_closed | set(days))

    def _check(self, d: date) -> None:
        if not date(FIRST_YEAR, 1, 1) <= d <= date(_last_year(), 12, 31):
            raise ValueError(f"{d} is outside the calendar range {FIRST_YEAR}-01-01..{_last_year()}-12-31")

    def sessions(self, start: date, end: date) -> list[date]:
        """Sessions from `start` to `end`, both inclusive, oldest first."""
        return self._days[bisect.bisect_left(self._days, start) : bisect.bisect_right(self._days, end)]

    def is_session(self, d: date) -> bool:
        """True when the market trades on day `d`."""
        self._check(d)
        i = bisect.bisect_left(self._days, d)
        return i < len(self._days) and self._days[i] == d

    def session_bounds(self, d: date) -> tuple[datetime, datetime]:
        """Aware KST (open, close) of session `d`; close is the closing-auction instant (normally 15:30)."""
        if not self.is_session(d):
            raise ValueError(f"{d} is not a KRX session")
        o, c = _table()[d]
        return datetime.combine(d, o, KST), datetime.combine(d, c, KST)

    def minute_grid(self, d: date) -> list[datetime]:
        """Starts of the 1-minute bars of session `d`, open .. close inclusive (391 bars on a normal day).

        The close minute is included because KRX prints the closing auction (single-price call 15:20-15:30) at
        the close instant, which data vendors and KIS label as a bar starting at 15:30. Minutes 15:20-15:29 belong
        to the grid but normally have no stock trades.
        """
        o, c = self.session_bounds(d)
        n = int((c - o).total_seconds() // 60) + 1
        return [o + timedelta(minutes=i) for i in range(n)]

    def previous_session(self, d: date) -> date:
        """The last session strictly before `d`."""
        i = bisect.bisect_left(self._days, d)
        if i == 0:
            raise ValueError(f"no session before {d} in the calendar range")
        return self._days[i - 1]

    def next_session(self, d: date) -> date:
        """The first session strictly after `d`."""
        i = bisect.bisect_right(self._days, d)
        if i == len(self._days):
            raise ValueError(f"no session after {d} in the calendar range")
        return self._days[i]


_default: Calendar | None = None


def default_calendar() -> Calendar:
    """The process-wide calendar used by the module-level functions."""
    global _default
    if _default is None:
        _default = Calendar()
    return _default


def set_extra_closed(days: Iterable[date]) -> None:
    """Overlay extra closed days (e.g. from the KIS holiday API) on the process-wide calendar."""
    global _default
    _default = Calendar(days)


def sessions(start: date, end: date) -> list[date]:
    return default_calendar().sessions(start, end)


def is_session(d: date) -> bool:
    return default_calendar().is_session(d)


def session_bounds(d: date) -> tuple[datetime, datetime]:
    return default_calendar().session_bounds(d)


def minute_grid(d: date) -> list[datetime]:
    return default_calendar().minute_grid(d)


def previous_session(d: date) -> date:
    return default_calendar().previous_session(d)


def next_session(d: date) -> date:
    return default_calendar().next_session(d)
