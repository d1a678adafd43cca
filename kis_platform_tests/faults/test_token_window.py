"""Found by the token-revocation scenario: the one-issuance-a-minute window must be counted from when tokenP
answered, not from just before it was sent (KIS counts from the request's arrival, a little later; a wait
measured from the earlier stamp fell short, got EGW00133 and cost a second minute)."""

from __future__ import annotations

import time
from pathlib import Path

from kis_platform.sources.kis.auth import IssuedToken, TokenLease


def test_issuance_window_starts_when_tokenp_has_answered(tmp_path: Path) -> None:
    answered: list[float] = []

    def slow_tokenp() -> IssuedToken:
        time.sleep(0.3)  # the request travels and KIS takes its time
        answered.append(time.time())
        return IssuedToken("A", time.time() + 86400)

    lease = TokenLease(tmp_path, "KEY", "http://x", slow_tokenp)
    assert lease.token() == "A"
    stamp = float(lease.lock_path.read_text().strip())
    assert stamp >= answered[0] - 0.001  # (stamped to the ms) the next issuance waits a full minute from here
