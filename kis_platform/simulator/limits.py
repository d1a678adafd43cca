"""Request limits of the real services: per-second token bucket per app key, KRX calls per day per key."""

from __future__ import annotations

import threading
import time
from datetime import date, datetime

from kis_platform.calendar import KST


class TokenBucket:
    """`rate` requests per second with a burst of `rate` (model of KIS's per-second limit; window shape unknown)."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self._tokens: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._tokens.get(key, (self.rate, now))
            tokens = min(self.rate, tokens + (now - last) * self.rate)
            ok = tokens >= 1.0
            self._tokens[key] = (tokens - 1.0 if ok else tokens, now)
            return ok

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()


class DailyCounter:
    """Calls per key per KST calendar day (wall time)."""

    def __init__(self) -> None:
        self._day: date | None = None
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> int:
        """Count one call and return the key's count today, this call included."""
        today = datetime.now(KST).date()
        with self._lock:
            if today != self._day:
                self._day, self._counts = today, {}
            self._counts[key] = self._counts.get(key, 0) + 1
            return self._counts[key]

    def total(self) -> int:
        with self._lock:
            return sum(self._counts.values()) if self._day == datetime.now(KST).date() else 0

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
