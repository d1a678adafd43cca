"""Counters of everything the simulator answered, served at GET /__sim/stats."""

from __future__ import annotations

import threading
from collections import Counter


class Stats:
    """Thread-safe counters; `snapshot()` is the JSON of /__sim/stats."""

    FIELDS = ("requests", "rate_violations", "token_requests", "token_issuances", "token_rate_violations",
              "token_rejections", "krx_calls", "krx_rejections", "faults_injected", "master_downloads")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.counts: Counter[str] = Counter()
            self.by_tr_id: Counter[str] = Counter()
            self.by_error: Counter[str] = Counter()
            self.by_fault: Counter[str] = Counter()
            self.api_in_flight = 0

    def inc(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def tr(self, tr_id: str) -> None:
        with self._lock:
            self.by_tr_id[tr_id] += 1

    def error(self, code: str) -> None:
        with self._lock:
            self.by_error[code] += 1

    def enter_api(self) -> None:
        with self._lock:
            self.api_in_flight += 1

    def leave_api(self) -> None:
        with self._lock:
            self.api_in_flight -= 1

    def fault(self, name: str) -> None:
        with self._lock:
            self.by_fault[name] += 1
            self.counts["faults_injected"] += 1

    def snapshot(self, krx_calls_today: int) -> dict[str, object]:
        with self._lock:
            out: dict[str, object] = {k: self.counts[k] for k in self.FIELDS}
            out["krx_calls_today"] = krx_calls_today
            # KIS API requests being answered right now (a delay fault holds them): lets a fault scenario wait until
            # several runs have a request in flight, which a step having started does not prove.
            out["api_in_flight"] = self.api_in_flight
            out["by_tr_id"] = dict(self.by_tr_id)
            out["by_error"] = dict(self.by_error)
            out["by_fault"] = dict(self.by_fault)
            return out
