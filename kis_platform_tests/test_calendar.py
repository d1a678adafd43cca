"""Facts about the KRX calendar (XKRX + CSAT shift + overlay of extra closed days)."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from kis_platform import calendar
from kis_platform.calendar import KST, Calendar


def test_first_session_of_year_opens_at_ten():
    o, c = calendar.session_bounds(date(2025, 1, 2))
    assert (o.time(), c.time()) == (time(10, 0), time(15, 30))
    assert len(calendar.minute_grid(date(2025, 1, 2))) == 331


def test_csat_day_shifts_the_session_by_one_hour():
    o, c = calendar.session_bounds(date(2025, 11, 13))
    assert (o.time(), c.time()) == (time(10, 0), time(16, 30))
    grid = calendar.minute_grid(date(2025, 11, 13))
    assert len(grid) == 391 and grid[-1].time() == time(16, 30)


def test_normal_day_has_391_start_labelled_bars_including_the_closing_auction():
    grid = calendar.minute_grid(date(2025, 11, 14))
    assert len(grid) == 391
    assert grid[0] == datetime(2025, 11, 14, 9, 0, tzinfo=KST)
    assert grid[-1] == datetime(2025, 11, 14, 15, 30, tzinfo=KST)
    assert all(t.tzinfo is not None for t in grid)


def test_weekends_holidays_and_neighbours():
    assert not calendar.is_session(date(2025, 11, 15))  # Saturday
    assert not calendar.is_session(date(2025, 12, 31))  # year-end closure
    assert not calendar.is_session(date(2025, 10, 6))  # Chuseok
    assert calendar.previous_session(date(2025, 11, 17)) == date(2025, 11, 14)
    assert calendar.next_session(date(2025, 11, 14)) == date(2025, 11, 17)
    assert calendar.next_session(date(2025, 12, 30)) == date(2026, 1, 2)


def test_sessions_are_inclusive_and_ordered():
    days = calendar.sessions(date(2025, 11, 10), date(2025, 11, 14))
    assert days == [date(2025, 11, d) for d in range(10, 15)]


def test_extra_closed_days_overlay():
    election = date(2026, 6, 3)
    assert calendar.is_session(election)  # XKRX does not know this holiday
    cal = Calendar(extra_closed={election})
    assert not cal.is_session(election)
    assert cal.next_session(date(2026, 6, 2)) == date(2026, 6, 4)
    with pytest.raises(ValueError):
        cal.session_bounds(election)


def test_outside_range_is_an_error():
    with pytest.raises(ValueError):
        calendar.is_session(date(2000, 1, 3))
