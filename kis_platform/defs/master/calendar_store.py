"""The stored trading calendar: building its rows from KIS and XKRX, and reading it back in any process."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pandas as pd
import psycopg

from kis_platform import calendar as krx_calendar
from kis_platform.calendar import KST, Calendar


def calendar_rows(days: list[date], kis_open: dict[date, bool], source: str) -> pd.DataFrame:
    """One row per calendar day: KIS's `opnd_yn` decides where it has the day (it knows short-notice holidays),
    XKRX elsewhere; session bounds (late opens included) from XKRX, 09:00–15:30 where only KIS says open."""
    base = Calendar()  # plain XKRX: the stored rows say where KIS disagrees
    fetched = datetime.now(timezone.utc)
    rows = []
    for d in days:
        xkrx = base.is_session(d)
        kis = kis_open.get(d)
        is_open = kis if kis is not None else xkrx
        open_at = close_at = None
        if is_open:
            if xkrx:
                open_at, close_at = base.session_bounds(d)
            else:
                open_at = datetime(d.year, d.month, d.day, 9, 0, tzinfo=KST)
                close_at = datetime(d.year, d.month, d.day, 15, 30, tzinfo=KST)
        late = bool(is_open and open_at is not None and (open_at.hour, open_at.minute) > (9, 0))
        reason = None
        if late:
            reason = "late open (first trading day of the year or CSAT day)"
        elif kis is False and xkrx:
            reason = "closed per KIS holiday API; XKRX lists a session"
        rows.append(dict(day=d, is_open=bool(is_open), open_at=open_at, close_at=close_at, is_late_open=late,
                         special_reason=reason, kis_is_open=kis, xkrx_is_open=xkrx, krx_is_open=None,
                         source=source if kis is not None else "XKRX", fetched_at=fetched))
    return pd.DataFrame(rows)


def load_calendar(conn: psycopg.Connection) -> Calendar:
    """The platform's calendar: XKRX plus the closures stored in `trading_calendar` that XKRX does not know."""
    closed = [r[0] for r in conn.execute("SELECT day FROM trading_calendar WHERE NOT is_open AND xkrx_is_open")]
    return krx_calendar.default_calendar().with_extra_closed(closed)


def open_days(conn: psycopg.Connection, start: date, end: date) -> list[date]:
    rows = conn.execute("SELECT day FROM trading_calendar WHERE is_open AND day BETWEEN %s AND %s ORDER BY day",
                        (start, end))
    return [r[0] for r in rows]
