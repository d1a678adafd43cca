"""The platform's "now": the system clock, or (KIS_PLATFORM_CLOCK=simulator) the simulator's clock.

Following the simulator's clock lets a fixed or accelerated simulated session drive the same code paths —
which minute just closed, whether a bar is final, when KRX has published — that the system clock drives in
production.
"""

from __future__ import annotations

import math
import time
from datetime import datetime

import httpx

from kis_platform.calendar import KST
from kis_platform.settings import Settings, get_settings


def _simulator_clock(settings: Settings) -> dict:
    return httpx.get(f"{settings.kis_base_url}/__sim/clock", timeout=5).json()


def now(settings: Settings | None = None) -> datetime:
    """Aware KST now."""
    settings = settings or get_settings()
    if settings.clock == "simulator":
        return datetime.fromisoformat(_simulator_clock(settings)["now"]).astimezone(KST)
    return datetime.now(KST)


def speed(settings: Settings | None = None) -> float:
    """Platform seconds per real second: above 1 when following an accelerated simulator clock."""
    settings = settings or get_settings()
    if settings.clock != "simulator":
        return 1.0
    clock = _simulator_clock(settings)
    return float(clock.get("speed") or 1.0) if clock["mode"] == "accelerated" else 1.0


def real_seconds_until(moment: datetime, settings: Settings | None = None) -> float:
    """Real seconds until the platform clock reaches `moment`: 0 once it has, scaled by the simulator's speed when
    following it, and infinite under a fixed simulator clock that stands before it."""
    settings = settings or get_settings()
    if settings.clock != "simulator":
        return max(0.0, (moment - datetime.now(KST)).total_seconds())
    clock = _simulator_clock(settings)
    ahead = (moment - datetime.fromisoformat(clock["now"])).total_seconds()
    if clock["mode"] == "fixed":
        return math.inf if ahead > 0 else 0.0
    speed = float(clock.get("speed") or 1.0) if clock["mode"] == "accelerated" else 1.0
    return max(0.0, ahead / speed)


def sleep_until(moment: datetime, settings: Settings | None = None) -> None:
    """Wait until the platform clock reaches `moment` (scaled by the simulator's speed when following it); at once
    under a fixed simulator clock."""
    seconds = real_seconds_until(moment, settings)
    time.sleep(seconds if math.isfinite(seconds) else 0.0)
