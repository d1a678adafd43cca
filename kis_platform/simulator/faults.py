"""Switchable faults: settings, validation, and deterministic decisions.

Request-level faults (bursts, 5xx, delays, hangs, malformed JSON, truncated pages) draw from one generator seeded
with the simulator's seed, in request order. Data faults (bad rows, KIS/KRX mismatches) are decided by a hash of
(seed, fault, symbol, day, time), so the same request always gets the same corrupted rows.
"""

from __future__ import annotations

import hashlib
import random
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

DEFAULTS: dict[str, Any] = {
    "egw00201_burst": 0,  # the next N KIS API requests fail with EGW00201
    # every KIS API request fails with EGW00201 for this many seconds of market time from when it is set (the
    # simulator's clock: under a fixed clock, until it is set to 0). Unlike a count, the same at every speed.
    "egw00201_for_s": 0.0,
    "egw00201_rate": 0.0,  # probability that a KIS API request fails with EGW00201
    "error_5xx_rate": 0.0,  # probability of an HTTP 502/503 gateway error (HTML body)
    "delay_seconds": 0.0,  # added to every API response
    "hang_rate": 0.0,  # probability that a request is never answered (held for hang_seconds)
    "hang_seconds": 300.0,
    "malformed_json_rate": 0.0,  # probability that a 200 body is cut in the middle
    "truncated_page_rate": 0.0,  # probability that a full page loses rows (without being the end)
    "token_error": None,  # "EGW00121" or "EGW00123": every token check fails this way while set
    "revoke_tokens": False,  # action: forget every issued token (-> EGW00121)
    "expire_tokens": False,  # action: expire every issued token (-> EGW00123)
    "price_mismatch": [],  # ["005930:20261119", ...]: KRX close differs from KIS for these
    "price_mismatch_rate": 0.0,  # or this share of (symbol, day) pairs
    "negative_price": 0.0,  # bad-data rates: share of rows (per symbol/day/time)
    "off_grid_price": 0.0,
    "high_below_low": 0.0,
    "duplicate_rows": 0.0,
    "outside_session": 0.0,
    "stale_feed": 0.0,  # share of (symbol, day) whose minute bars freeze (same bar repeated)
    "nonsense_greeks": 0.0,  # share of option-board rows with impossible greeks
    "krx_daily_limit": None,  # override of the 10,000 KRX calls per day
}
ACTIONS = ("revoke_tokens", "expire_tokens")
DATA_FAULTS = ("negative_price", "off_grid_price", "high_below_low", "duplicate_rows", "outside_session",
               "stale_feed", "nonsense_greeks")


class FaultError(ValueError):
    """An unknown fault name or a value of the wrong type."""


def coerce(name: str, value: Any) -> Any:
    """Validate one fault setting; `True` for a rate means 1.0."""
    if name not in DEFAULTS:
        raise FaultError(f"unknown fault {name!r}; known: {', '.join(DEFAULTS)}")
    default = DEFAULTS[name]
    if name == "token_error":
        if value not in (None, "", "EGW00121", "EGW00123"):
            raise FaultError("token_error must be EGW00121, EGW00123 or null")
        return value or None
    if name == "price_mismatch":
        items = value.split(",") if isinstance(value, str) else list(value or [])
        return [i if isinstance(i, str) else f"{i['symbol']}:{str(i['date']).replace('-', '')}" for i in items if i]
    if isinstance(default, bool):
        return bool(value) and str(value).lower() not in ("0", "false", "no")
    if value is True:
        return 1.0
    try:
        return int(value) if isinstance(default, int) or name == "krx_daily_limit" else float(value)
    except (TypeError, ValueError):
        raise FaultError(f"fault {name} needs a number, got {value!r}") from None


class Faults:
    """Current fault settings of one simulator."""

    def __init__(self, seed: int, initial: dict[str, Any] | None = None,
                 now: Callable[[], datetime] | None = None) -> None:
        self.seed = seed
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._now = now or (lambda: datetime.now().astimezone())
        self._refuse_until: datetime | None = None
        self.settings: dict[str, Any] = dict(DEFAULTS)
        self.pending_actions: list[str] = []
        if initial:
            self.merge(initial)

    def merge(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Apply changes (validated all-or-nothing); actions are queued for the app to run."""
        clean = {k: coerce(k, v) for k, v in changes.items()}
        with self._lock:
            for k, v in clean.items():
                if k in ACTIONS:
                    if v:
                        self.pending_actions.append(k)
                else:
                    self.settings[k] = v
                if k == "egw00201_for_s":
                    self._refuse_until = self._now() + timedelta(seconds=v) if v > 0 else None
        return self.current()

    def clear(self) -> None:
        with self._lock:
            self.settings = dict(DEFAULTS)
            self._rng = random.Random(self.seed)
            self._refuse_until = None

    def current(self) -> dict[str, Any]:
        with self._lock:
            return {k: v for k, v in self.settings.items() if k not in ACTIONS}

    def get(self, name: str) -> Any:
        return self.settings[name]

    def draw(self, name: str) -> bool:
        """Request-level decision for a probability setting."""
        rate = self.settings[name]
        if not rate:
            return False
        with self._lock:
            return self._rng.random() < rate

    def take_burst(self) -> bool:
        """Whether this KIS API request falls in a rate-limit burst (counted or timed)."""
        with self._lock:
            if self.settings["egw00201_burst"] > 0:
                self.settings["egw00201_burst"] -= 1
                return True
            until = self._refuse_until
        if until is None:
            return False
        if self._now() < until:
            return True
        with self._lock:  # over: the setting reads 0 again, as a spent count does
            if self._refuse_until == until:
                self._refuse_until, self.settings["egw00201_for_s"] = None, 0.0
        return False

    def hit(self, name: str, *key: object) -> bool:
        """Data-level decision: deterministic in (seed, name, key)."""
        rate = self.settings.get(name) or 0.0
        return bool(rate) and unit_hash(self.seed, name, *key) < rate

    def mismatch(self, code: str, day: str) -> bool:
        return f"{code}:{day}" in self.settings["price_mismatch"] or self.hit("price_mismatch_rate", code, day)


def unit_hash(*parts: object) -> float:
    """A stable number in [0, 1) from the parts."""
    h = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(h, "big") / 2**64
