"""Start-up configuration of the simulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# Closed days the simulator knows and XKRX does not: the 2026-06-03 local elections (a statutory holiday that
# exchange_calendars 4.13 misses), so the platform's calendar cross-check has something real to find.
DEFAULT_SIM_HOLIDAYS: tuple[date, ...] = (date(2026, 6, 3),)


@dataclass
class SimConfig:
    """Everything that shapes one simulator instance. Same config + same requests = same bytes."""

    seed: int = 20261120
    env: str = "real"  # "real" (20 req/s) or "paper" (2 req/s, real-only TRs refused)
    clock: str = "real"  # "real", "fixed" or "accelerated"
    start: datetime | None = None  # fixed instant, or start of the accelerated clock
    speed: float = 60.0  # simulated seconds per real second (accelerated)
    app_key: str | None = None  # None: any 36-character key is accepted
    app_secret: str | None = None  # None: any 180-character secret is accepted
    krx_key: str | None = None  # None: any non-empty AUTH_KEY is accepted
    token_lifetime: int = 86_400  # seconds
    token_min_interval: float = 60.0  # one tokenP per minute per app key
    token_reuse_window: float = 6 * 3600.0  # tokenP again within this window returns the same token
    rate_per_second: float | None = None  # None: 20 (real) / 2 (paper)
    krx_daily_limit: int = 10_000
    extra_holidays: tuple[date, ...] = DEFAULT_SIM_HOLIDAYS
    n_stocks: int = 2900
    faults: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.rate_per_second or (20.0 if self.env == "real" else 2.0)
