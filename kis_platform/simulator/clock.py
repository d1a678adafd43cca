"""The simulator's clock: real time, a fixed instant, or accelerated time from a start instant."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta

from kis_platform.calendar import KST

MODES = ("real", "fixed", "accelerated")


def parse_instant(text: str | datetime) -> datetime:
    """ISO-8601 instant; a naive value is taken as KST."""
    dt = text if isinstance(text, datetime) else datetime.fromisoformat(str(text))
    return (dt if dt.tzinfo else dt.replace(tzinfo=KST)).astimezone(KST)


class SimClock:
    """Market time of the simulator (market data follows it; rate limits and tokens use wall time)."""

    def __init__(self, mode: str = "real", start: datetime | str | None = None, speed: float = 60.0) -> None:
        self._lock = threading.Lock()
        self.set(mode, start, speed)

    def set(self, mode: str, start: datetime | str | None = None, speed: float | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"clock mode {mode!r} is not one of {', '.join(MODES)}")
        if mode != "real" and start is None:
            raise ValueError(f"clock mode {mode!r} needs a start instant")
        with self._lock:
            self.mode = mode
            self.start = parse_instant(start) if start is not None else None
            self.speed = float(speed) if speed is not None else getattr(self, "speed", 60.0)
            self._t0 = time.monotonic()

    def now(self) -> datetime:
        with self._lock:
            if self.mode == "fixed":
                return self.start
            if self.mode == "accelerated":
                return self.start + timedelta(seconds=(time.monotonic() - self._t0) * self.speed)
        return datetime.now(KST)

    def describe(self) -> dict[str, object]:
        return {"mode": self.mode, "now": self.now().isoformat(), "start": self.start.isoformat() if self.start else None,
                "speed": self.speed}
