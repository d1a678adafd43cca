"""Small helpers shared by the KIS endpoint modules."""

from __future__ import annotations

from typing import Any

from kis_platform.sources.errors import NotFound
from kis_platform.sources.http import Reply

QUOTATIONS = "/uapi/domestic-stock/v1/quotations"
FO_QUOTATIONS = "/uapi/domestic-futureoption/v1/quotations"
MAX_PAGES = 400  # a guard against a source that keeps answering the same page


def check_found(reply: Reply, key: str, tr_id: str, symbol: str, price_key: str = "stck_prpr") -> None:
    """Raise NotFound when KIS answers rt_cd 0 with the empty/zero-price snapshot it gives for unknown codes."""
    head: Any = reply.data.get(key)
    if isinstance(head, dict) and (not head or str(head.get(price_key, "")).strip() in ("", "0")):
        raise NotFound(f"unknown or delisted code {symbol!r} (KIS returned a zero price)", tr_id=tr_id,
                       field=price_key, raw=reply.text)
