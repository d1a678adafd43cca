"""Request-rate limits shared by every process on the machine.

Each named bucket is a token bucket whose state (tokens, last refill) lives in a small file under
`settings.state_dir/limiter/`, updated under an exclusive `fcntl.flock`, so any number of processes (each Dagster
run is one) share one budget. A caller takes a token under the lock only when one is there at that moment;
otherwise it sleeps outside the lock until one will be, and tries again. The token is spent at the time the call
is allowed, not at a slot reserved earlier: a process that oversleeps (a busy 2-core machine stalls sleepers by
100 ms and more) therefore cannot bunch its late call with the calls made on time after it. Capacity (burst)
defaults to 1 so that no one-second window holds more than `rate + 1` calls.

Buckets: "kis" (18/s real and sim, 1.8/s paper: a little under KIS's 20/s and 2/s per app key), "kis_option_board"
(1/s, KIS's advice for the slow FHPIF05030100; it also takes a "kis" token), "krx" (5/s, gentle) and a KRX daily
counter (10,000 calls per key per day, KST day) which raises `RateLimited` instead of sleeping until tomorrow.
"""

from __future__ import annotations

import fcntl
import os
import struct
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from kis_platform.private_files import private_dir
from kis_platform.sources.errors import RateLimited

_STATE = struct.Struct("<dd")  # (tokens, monotonic time of last update); CLOCK_MONOTONIC is system-wide
_DAILY = struct.Struct("<qq")  # (KST date ordinal, count)
KST = ZoneInfo("Asia/Seoul")


@dataclass(frozen=True)
class Bucket:
    """A shared budget of `rate` calls per second with a burst of `capacity`; `also` names buckets charged too."""

    rate: float
    capacity: float = 1.0
    also: tuple[str, ...] = ()


def default_buckets(kis_env: str = "real") -> dict[str, Bucket]:
    """The limits the clients enforce by default for a KIS environment (real, paper or sim)."""
    kis_rate = 1.8 if kis_env == "paper" else 18.0
    return {
        "kis": Bucket(kis_rate),
        "kis_option_board": Bucket(min(1.0, kis_rate), also=("kis",)),
        "krx": Bucket(5.0),
    }


class SharedLimiter:
    """Token buckets in `state_dir`, shared by every process that uses the same directory."""

    def __init__(self, state_dir: Path, buckets: dict[str, Bucket] | None = None, krx_daily_cap: int = 10_000) -> None:
        # mkdir(parents=True) would create the shared state directory (the token lease's) with the umask's mode.
        self.dir = private_dir(private_dir(Path(state_dir)) / "limiter")
        self.buckets = buckets if buckets is not None else default_buckets()
        self.krx_daily_cap = krx_daily_cap
        self._fds: dict[str, int] = {}
        self._pid = os.getpid()
        # flock is per open file: threads of one process sharing a descriptor need a lock of their own
        self._thread_lock = threading.Lock()
        self.waited_s = 0.0  # total time this process slept in acquire(), for run metadata

    def _fd(self, name: str) -> int:
        if self._pid != os.getpid():  # forked: descriptors share lock state with the parent, so reopen
            self._fds, self._pid = {}, os.getpid()
        fd = self._fds.get(name)
        if fd is None:
            fd = self._fds[name] = os.open(self.dir / f"{name}.bucket", os.O_RDWR | os.O_CREAT, 0o600)
        return fd

    def take(self, name: str) -> float:
        """Take one token from bucket `name` if one is there now and return 0.0; otherwise take nothing and
        return how many seconds until one will be."""
        bucket = self.buckets[name]
        with self._thread_lock:
            return self._take_locked(name, bucket)

    def _take_locked(self, name: str, bucket: Bucket) -> float:
        fd = self._fd(name)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            data = os.pread(fd, _STATE.size, 0)
            now = time.monotonic()
            tokens, last = _STATE.unpack(data) if len(data) == _STATE.size else (bucket.capacity, now)
            if last > now:  # state written before a reboot
                tokens, last = bucket.capacity, now
            tokens = min(bucket.capacity, tokens + (now - last) * bucket.rate)
            if tokens < 1.0:
                return (1.0 - tokens) / bucket.rate
            os.pwrite(fd, _STATE.pack(tokens - 1.0, now), 0)
            return 0.0
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def key_bucket(self, name: str) -> str:
        """The bucket of the key's own per-second limit among `name` and those it also charges (the last one):
        what a call refused by the gateway (EGW00201) needs again, since it never reached the service."""
        return (name, *self.buckets[name].also)[-1]

    def acquire(self, name: str) -> float:
        """Block until one call is allowed under bucket `name` (and the buckets it also charges); returns the wait."""
        if name == "krx":
            self._count_krx_day()
        total = 0.0
        # One bucket after the other: a "kis" token taken before a board wait would be spent early, unused.
        for bucket_name in (name, *self.buckets[name].also):
            while (wait := self.take(bucket_name)) > 0:
                time.sleep(wait)
                total += wait
        with self._thread_lock:
            self.waited_s += total
        return total

    def _count_krx_day(self) -> None:
        fd = self._fd("krx_daily")
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            data = os.pread(fd, _DAILY.size, 0)
            today = datetime.now(KST).date().toordinal()
            day, count = _DAILY.unpack(data) if len(data) == _DAILY.size else (today, 0)
            count = count if day == today else 0
            if count >= self.krx_daily_cap:
                err = RateLimited(f"KRX daily quota of {self.krx_daily_cap} calls is used up; it resets at 00:00 KST",
                                  tr_id="krx")
                err.retryable = False  # no retry within a run can succeed before midnight
                raise err
            os.pwrite(fd, _DAILY.pack(today, count + 1), 0)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)

    def krx_calls_today(self) -> int:
        """KRX calls counted so far today (KST) across all processes."""
        data = os.pread(self._fd("krx_daily"), _DAILY.size, 0)
        if len(data) != _DAILY.size:
            return 0
        day, count = _DAILY.unpack(data)
        return count if day == datetime.now(KST).date().toordinal() else 0

    def close(self) -> None:
        for fd in self._fds.values():
            os.close(fd)
        self._fds = {}
