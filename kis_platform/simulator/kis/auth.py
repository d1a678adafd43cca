"""OAuth endpoints (/oauth2/tokenP, /oauth2/revokeP, /oauth2/Approval) and the token store.

Rules (kis-api §3): one issuance per minute per app key (else HTTP 403 EGW00133), a new request within 6 hours
returns the same token, tokens live 24 h. Limits use wall time, not the market clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime

from kis_platform.calendar import KST


@dataclass
class Token:
    value: str
    app_key: str
    issued: float  # wall time (epoch seconds)
    expires: float
    expired_forced: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class TokenStore:
    """Issued tokens by value and the last issuance per app key."""

    def __init__(self, seed: int, lifetime: int, min_interval: float, reuse_window: float) -> None:
        self.lifetime, self.min_interval, self.reuse_window = lifetime, min_interval, reuse_window
        self._secret = hashlib.sha512(f"sim-{seed}".encode()).digest()
        self._by_value: dict[str, Token] = {}
        self._last: dict[str, Token] = {}
        self._last_call: dict[str, float] = {}
        self._lock = threading.Lock()

    def issue(self, app_key: str) -> tuple[Token | None, bool]:
        """(token, newly_minted); (None, False) when the per-minute issuance limit is hit."""
        now = time.time()
        with self._lock:
            last_call = self._last_call.get(app_key)
            if last_call is not None and now - last_call < self.min_interval:
                return None, False
            self._last_call[app_key] = now
            last = self._last.get(app_key)
            if last and last.value in self._by_value and not last.expired_forced and now - last.issued < self.reuse_window \
                    and now < last.expires:
                return last, False
            tok = Token(self._jwt(app_key, now), app_key, now, now + self.lifetime)
            self._by_value[tok.value] = self._last[app_key] = tok
            return tok, True

    def _jwt(self, app_key: str, now: float) -> str:
        header = _b64(json.dumps({"typ": "JWT", "alg": "HS512"}, separators=(",", ":")).encode())
        claims = {"sub": "token", "aud": str(uuid.uuid4()), "prdt_cd": "", "iss": "unogw",
                  "exp": int(now) + self.lifetime, "iat": int(now), "jti": app_key}
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self._secret, f"{header}.{payload}".encode(), hashlib.sha512).digest())
        return f"{header}.{payload}.{sig}"

    def check(self, value: str) -> str | None:
        """None when valid, else "EGW00121" (unknown/revoked) or "EGW00123" (expired)."""
        tok = self._by_value.get(value)
        if tok is None:
            return "EGW00121"
        if tok.expired_forced or time.time() >= tok.expires:
            return "EGW00123"
        return None

    def revoke(self, value: str) -> bool:
        with self._lock:
            return self._by_value.pop(value, None) is not None

    def revoke_all(self) -> None:
        with self._lock:
            self._by_value.clear()
            self._last.clear()

    def expire_all(self) -> None:
        with self._lock:
            for tok in self._by_value.values():
                tok.expired_forced = True

    def reset(self) -> None:
        with self._lock:
            self._by_value.clear()
            self._last.clear()
            self._last_call.clear()


def expiry_text(tok: Token) -> str:
    return datetime.fromtimestamp(tok.expires, KST).strftime("%Y-%m-%d %H:%M:%S")
