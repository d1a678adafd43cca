"""How the whole listed universe is collected at minute resolution: a cycle of slices inside the 30-bar window.

FHKST03010200 answers at most 30 one-minute bars per call, so one call per symbol every 30 minutes would keep
every bar of the day, if nothing were ever late. The platform visits each symbol every CYCLE = 25 minutes: a
visit at minute index v (minutes since the open) fetches the page ending at v, which covers [v-29, v], and the
previous visit covered up to v-25, so five minutes overlap. The overlap catches a bar the source published late
and keeps every bar's predecessor (per-bar turnover is a running-total difference).

Slices are a pure function of the day's universe and the minute index, so a rerun fetches the same symbols:
the universe (sorted) is dealt round-robin into CYCLE slices, slice j = symbols j, j+25, j+50, ...; the
partition of minute index v fetches slice v mod 25. A slice holds ceil(N/25) or floor(N/25) symbols
(2,640 non-watch-list stocks -> 105-106 calls a minute, about 1.8 calls/s).

The first minutes: slice j is first fetched at index j <= 24, whose page reaches back to the open (fewer than
30 bars exist), so no bar before a symbol's first visit is lost. The close: bars after a symbol's last visit
would be lost, so the close-minute partition fetches every symbol (one call each: about N/18 s of the shared
18 calls/s budget, roughly 150 s for 2,640 symbols).
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from math import ceil

from kis_platform import calendar
from kis_platform.sources.kis.minutes import PAST_ROWS, TODAY_ROWS

MINUTE = timedelta(minutes=1)
MARGIN = 5  # minutes of overlap between consecutive visits of a symbol
CYCLE = TODAY_ROWS - MARGIN  # 25: every symbol is fetched at least once every CYCLE minutes
LIVE_REACH = TODAY_ROWS - 1  # a page of today's bars ending at v covers [v-29, v]
PAST_REACH = PAST_ROWS - 1  # FHKST03010230: 120 bars a page


def minute_index(bar: datetime) -> int:
    """Minutes between the session's open and `bar` (0 for the first bar)."""
    return int((bar - calendar.session_bounds(bar.date())[0]) / MINUTE)


def close_index(bar: datetime) -> int:
    """Minute index of the session's close bar (390 on a normal or CSAT day, 330 on a 10:00 first day)."""
    open_at, close_at = calendar.session_bounds(bar.date())
    return int((close_at - open_at) / MINUTE)


def slice_size(universe_size: int) -> int:
    """Largest number of symbols one minute fetches (the close minute aside): ceil(N / CYCLE)."""
    return ceil(universe_size / CYCLE)


def cycle_slice(universe: Sequence[str], index: int, last_index: int) -> list[str]:
    """Symbols fetched by the partition of minute `index`: slice index mod CYCLE of the sorted universe, or all
    of it at the close (`last_index`)."""
    ordered = sorted(set(universe))
    return ordered if index >= last_index else ordered[index % CYCLE :: CYCLE]


def slot(position: int) -> int:
    """Slice of the symbol at `position` in the sorted universe."""
    return position % CYCLE


def visit_at_or_after(position: int, index: int, last_index: int) -> int:
    """The first minute index >= `index` at which the symbol at `position` is fetched (its page then covers
    `index`, since a visit reaches 29 minutes back and visits are 25 apart), or the close."""
    j = slot(position)
    v = j if index <= j else j + CYCLE * ceil((index - j) / CYCLE)
    return min(v, last_index)


def last_visit(position: int, index: int, last_index: int) -> int | None:
    """The last minute index <= `index` at which the symbol at `position` was due, or None before its first."""
    if index >= last_index:
        return last_index
    j = slot(position)
    return None if index < j else j + CYCLE * ((index - j) // CYCLE)


def reach(live: bool) -> int:
    """Minutes before its own bar that one page reaches back: 29 today, 119 for a past day."""
    return LIVE_REACH if live else PAST_REACH
