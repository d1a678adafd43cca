"""Circuit breaker and retry backoff used by both source clients.

The breaker opens after `threshold` consecutive failures (HTTP 5xx, timeouts, connection errors, unreadable
bodies), fails fast with `BreakerOpen` while open, lets one trial request through after `cooldown_s` (half-open)
and closes again on its success. Every state change is logged on "kis_platform.sources".
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable

from kis_platform.sources.errors import BreakerOpen

log = logging.getLogger("kis_platform.sources")


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Exponential backoff with full jitter in [0.5, 1.5) × base × 2^(attempt-1), capped."""
    return min(cap, base * 2 ** (attempt - 1)) * (0.5 + random.random())


class CircuitBreaker:
    """Per-client breaker; `state` is "closed", "open" or "half_open"; `opens` counts how often it opened."""

    def __init__(self, name: str, threshold: int = 5, cooldown_s: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.threshold, self.cooldown_s, self._clock = name, threshold, cooldown_s, clock
        self.state = "closed"
        self.failures = 0
        self.opens = 0
        self._opened_at = 0.0

    def _move(self, state: str, why: str) -> None:
        log.warning("%s circuit breaker %s -> %s (%s)", self.name, self.state, state, why)
        self.state = state

    def check(self, tr_id: str) -> None:
        """Raise BreakerOpen while open; after the cool-down, switch to half-open and let one request through."""
        if self.state != "open":
            return
        remaining = self._opened_at + self.cooldown_s - self._clock()
        if remaining > 0:
            raise BreakerOpen(f"{self.name} circuit breaker is open after {self.failures} consecutive failures; "
                              f"next trial in {remaining:.1f} s", tr_id=tr_id)
        self._move("half_open", f"cool-down of {self.cooldown_s:g} s over")

    def success(self) -> None:
        if self.state != "closed":
            self._move("closed", "trial request succeeded")
        self.failures = 0

    def failure(self) -> None:
        self.failures += 1
        if self.state == "half_open" or (self.state == "closed" and self.failures >= self.threshold):
            self._move("open", f"{self.failures} consecutive failures")
            self.opens += 1
            self._opened_at = self._clock()
