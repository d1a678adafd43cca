"""Typed errors raised by the KIS and KRX clients.

Every error names the TR (KIS `tr_id`, or the KRX service path), the field it is about when there is one, the
source's message code, and keeps the raw response body in `.raw` so a failure can be diagnosed (and the body
re-parsed) without calling the API again. Messages never contain an app key, secret or token: the clients never
put them there, and `redact()` strips them from any text that is quoted back.
"""

from __future__ import annotations

import re

_SECRET_PATTERNS = (
    re.compile(r'("?(?:access_token|appsecret|appkey|secretkey|token|approval_key)"?\s*[:=]\s*)"[^"]*"', re.I),
    re.compile(r"(Bearer\s+)[A-Za-z0-9._\-]+", re.I),
)


def redact(text: str) -> str:
    """`text` with token-, key- and secret-looking values replaced by `<redacted>`."""
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + ('"<redacted>"' if m.group(0).endswith('"') else "<redacted>"), text)
    return text


class SourceError(Exception):
    """Base class: the source could not give a usable answer.

    Attributes: `tr_id` (KIS TR id or KRX service), `field` (response field concerned, if any), `msg_cd` (source
    message code such as EGW00201, if any), `status` (HTTP status, if a response arrived), `raw` (response body).
    """

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        tr_id: str = "",
        field: str | None = None,
        msg_cd: str | None = None,
        status: int | None = None,
        raw: str | None = None,
    ) -> None:
        self.tr_id, self.field, self.msg_cd, self.status = tr_id, field, msg_cd, status
        self.raw = redact(raw) if raw is not None else None
        parts = [f"[{tr_id}]" if tr_id else "", redact(message)]
        if msg_cd:
            parts.append(f"(msg_cd={msg_cd})")
        if field:
            parts.append(f"(field={field})")
        super().__init__(" ".join(p for p in parts if p))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class RateLimited(SourceError):
    """The source refused the call for exceeding its rate (KIS EGW00201) or a daily quota (KRX 10,000/day)."""

    retryable = True


class TokenError(SourceError):
    """The access token is expired, invalid or could not be issued (EGW00121/122/123, EGW00133, tokenP failure)."""


class AuthError(SourceError):
    """The app key, secret or KRX AUTH_KEY was refused (wrong key, paper key on the real host, service not approved)."""


class ServerError(SourceError):
    """HTTP 5xx, timeout or connection failure that persisted through every retry."""

    retryable = True


class BreakerOpen(SourceError):
    """The circuit breaker is open after repeated failures; no request was sent."""


class MalformedResponse(SourceError):
    """The body is not the documented shape: bad JSON, a missing output key, a value of the wrong type."""


class UnknownErrorCode(SourceError):
    """The source answered with an error code this client does not know; not retried."""


class NotFound(SourceError):
    """The instrument does not exist or has no data (KIS answers rt_cd 0 with a zero price for unknown codes)."""
