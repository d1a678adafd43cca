"""Functions run in separate OS processes by the shared-state tests (importable under multiprocessing spawn)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from kis_platform.sources.kis.auth import IssuedToken, TokenLease
from kis_platform.sources.limiter import Bucket, SharedLimiter


def hammer_limiter(state_dir: str, out: str, rate: float, barrier: Any, seconds: float) -> None:
    """Acquire the shared "kis" bucket as fast as allowed for `seconds`; write the acquisition times (monotonic)."""
    limiter = SharedLimiter(Path(state_dir), {"kis": Bucket(rate)})
    stamps = []
    barrier.wait()  # every process has imported and is ready: start together
    start_at = time.monotonic()
    while time.monotonic() < start_at + seconds:
        limiter.acquire("kis")
        stamps.append(time.monotonic())
    Path(out).write_text(json.dumps(stamps))


def lease_token(state_dir: str, out: str, barrier: Any) -> None:
    """Ask the shared lease for a token at `start_at`; the issuer appends one line per tokenP call."""
    issued_log = Path(state_dir) / "issued.log"

    def issue() -> IssuedToken:
        with issued_log.open("a") as f:
            f.write(f"{os.getpid()}\n")
        time.sleep(0.2)  # a slow tokenP makes the other processes queue on the lock
        return IssuedToken(f"token-from-{os.getpid()}", time.time() + 86400, time.time())

    lease = TokenLease(Path(state_dir), "APPKEY", "http://x", issue)
    barrier.wait()
    Path(out).write_text(json.dumps({"token": lease.token(), "issuances": lease.issuances}))
