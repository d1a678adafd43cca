"""The KIS access token, leased by every process on the machine from one file.

KIS issues at most one token per app key per minute (more → HTTP 403 EGW00133) and sends the user a KakaoTalk
notice per issuance, while every Dagster run is its own process. So the token lives in
`state_dir/kis_token_<hash>.json` (mode 0600, replaced atomically), and issuance happens only under an exclusive
`fcntl.flock` on a sibling lock file, which also records when the last issuance was attempted: a process that
finds a usable token reuses it, and one that must issue waits until 60 s after the previous attempt. Tokens are
reused until `margin_s` (10 min) before expiry. The token value is never logged, printed or put in an exception.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kis_platform.private_files import private_dir, replace_file
from kis_platform.sources.errors import TokenError

log = logging.getLogger("kis_platform.sources")
ISSUE_INTERVAL_S = 60.0  # KIS: one tokenP per minute per app key


@dataclass(frozen=True, repr=False)
class IssuedToken:
    """A token as returned by tokenP: the value and its expiry as a UNIX time."""

    value: str
    expires_at: float
    issued_at: float = 0.0

    def __repr__(self) -> str:
        return f"IssuedToken(value=<redacted>, expires_at={self.expires_at:.0f})"


class TokenIssueTooSoon(TokenError):
    """tokenP answered EGW00133: a token was issued for this key less than a minute ago (maybe elsewhere)."""


class TokenLease:
    """Gives out the shared token, issuing one through `issue()` only when none is usable."""

    def __init__(
        self,
        state_dir: Path,
        app_key: str,
        base_url: str,
        issue: Callable[[], IssuedToken],
        *,
        margin_s: float = 600.0,
        min_interval_s: float = ISSUE_INTERVAL_S,
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        private_dir(Path(state_dir))  # the lease holds the token: no one else may list or enter its directory
        digest = hashlib.sha256(f"{base_url}\n{app_key}".encode()).hexdigest()[:16]
        self.path = Path(state_dir) / f"kis_token_{digest}.json"
        self.lock_path = Path(state_dir) / f"kis_token_{digest}.lock"
        self._issue, self.margin_s, self.max_attempts, self._sleep = issue, margin_s, max_attempts, sleep
        self.min_interval_s = min_interval_s
        self._cached: IssuedToken | None = None
        self._bad: str | None = None
        self.issuances = 0  # tokens this process obtained from tokenP

    def __repr__(self) -> str:
        return f"TokenLease(path={str(self.path)!r}, issuances={self.issuances})"

    def _usable(self, tok: IssuedToken | None) -> bool:
        if tok is None or tok.value == self._bad:
            return False
        # A short-lived token (tests, simulator faults) is renewed at 90 % of its life rather than never used.
        margin = min(self.margin_s, 0.1 * max(0.0, tok.expires_at - (tok.issued_at or tok.expires_at)))
        return tok.expires_at - margin > time.time()

    def _read(self) -> IssuedToken | None:
        try:
            data = json.loads(self.path.read_text())
            return IssuedToken(str(data["access_token"]), float(data["expires_at"]), float(data.get("issued_at", 0)))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _write(self, tok: IssuedToken) -> None:
        replace_file(self.path, json.dumps(
            {"access_token": tok.value, "expires_at": tok.expires_at, "issued_at": tok.issued_at}))

    def token(self) -> str:
        """A token valid for at least `margin_s` more seconds, issuing one if no process holds one."""
        if self._usable(self._cached):
            return self._cached.value  # type: ignore[union-attr]
        tok = self._read()
        if not self._usable(tok):
            tok = self._issue_locked()
        self._cached = tok
        return tok.value  # type: ignore[union-attr]

    def invalidate(self, value: str) -> None:
        """Mark `value` as refused by KIS (EGW00121/EGW00123): the next `token()` gets or issues another one."""
        self._bad, self._cached = value, None

    def _issue_locked(self) -> IssuedToken:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            for _ in range(self.max_attempts):
                tok = self._read()  # another process may have issued while we waited for the lock
                if self._usable(tok):
                    return tok  # type: ignore[return-value]
                last = float(os.pread(fd, 32, 0).decode().strip() or 0)
                wait = min(self.min_interval_s, last + self.min_interval_s - time.time())  # stamps are rounded to ms
                if wait > 0:
                    log.info("KIS token: waiting %.1f s for the one-per-minute issuance window", wait)
                    self._sleep(wait)
                os.pwrite(fd, f"{time.time():<32.3f}".encode(), 0)
                try:
                    tok = self._issue()
                except TokenIssueTooSoon:
                    log.warning("KIS token: tokenP answered EGW00133 (issued elsewhere within a minute); retrying")
                    continue
                finally:
                    # KIS counts the minute from when the request reached it, after the stamp above: a wait
                    # measured from that stamp fell a few ms short and cost a second minute (EGW00133).
                    os.pwrite(fd, f"{time.time():<32.3f}".encode(), 0)
                tok = IssuedToken(tok.value, tok.expires_at, tok.issued_at or time.time())
                self._write(tok)
                self.issuances += 1
                self._bad = None
                log.info("KIS token: issued a new token, valid until %s", time.strftime("%Y-%m-%d %H:%M:%S %z",
                                                                                   time.localtime(tok.expires_at)))
                return tok
            raise TokenError(f"no token after {self.max_attempts} tokenP attempts (EGW00133 each time)",
                             tr_id="tokenP", msg_cd="EGW00133")
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    def forget(self) -> None:
        """Remove the stored token (after revokeP)."""
        self._cached = None
        self.path.unlink(missing_ok=True)
