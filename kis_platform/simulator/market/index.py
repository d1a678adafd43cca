"""Intraday index levels (KOSPI200, KOSDAQ150, ...): one seeded path per (index, session), minute resolution."""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache

import numpy as np

from kis_platform.calendar import KST, Calendar
from kis_platform.simulator.market.daily import INDEX_NAMES, DailyModel
from kis_platform.simulator.market.minutes import bridge_path



def minutes_of(dt: datetime) -> float:
    """Minutes after midnight KST, with seconds as a fraction."""
    t = dt.astimezone(KST)
    return t.hour * 60 + t.minute + t.second / 60


class IndexModel:
    """Index level at any instant of a session: a bridge from open to close touching the day's high and low."""

    def __init__(self, daily: DailyModel, calendar: Calendar, seed: int) -> None:
        self.daily, self.cal, self.seed = daily, calendar, seed
        self.path = lru_cache(maxsize=256)(self._path)

    def bounds(self, d: date) -> tuple[int, int]:
        o, c = self.cal.session_bounds(d)
        return o.hour * 60 + o.minute, c.hour * 60 + c.minute

    def _path(self, name: str, d: date) -> np.ndarray:
        """Level at each minute from open to close (both included), rounded to 0.01."""
        o, h, lo, c, _ = self.daily.day(d).index[name]
        om, cm = self.bounds(d)
        rng = np.random.default_rng([self.seed, 6, INDEX_NAMES.index(name), d.toordinal()])
        return np.round(bridge_path(rng, cm - om, o, c, h, lo, 0.01), 2)

    def level(self, name: str, d: date, minute: float) -> float:
        """Level at `minute` (after midnight) of session d; the open before it starts, the close after it ends."""
        om, cm = self.bounds(d)
        k = int(np.clip(np.floor(minute - om), 0, cm - om))
        return float(self.path(name, d)[k])

    def prev_close(self, name: str, d: date) -> float:
        return self.daily.day(d).index[name][4]

    def at(self, name: str, now: datetime) -> tuple[date, float]:
        """(session, level) as seen at `now`: the latest session that has started, at its current minute."""
        d = now.astimezone(KST).date()
        s = d if self.cal.is_session(d) and now >= self.cal.session_bounds(d)[0] else self.cal.previous_session(d)
        return s, self.level(name, s, minutes_of(now) if s == d else 10_000)
