"""The landing-zone record of one HTTP exchange with a source.

Clients hand every response, successful or not, to an optional `on_response(record)` callback before parsing it;
the storage layer writes these to `raw_responses` so parsers can be fixed and data reprocessed without spending API
quota. Auth headers are never part of the record, and token values in OAuth bodies are redacted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone


@dataclass(frozen=True)
class RawResponse:
    """One response as received.

    source: "KIS", "KRX", or "SIM_KIS" / "SIM_KRX" (simulated data is tagged so it never passes for real data).
    tr_id: KIS TR id (e.g. FHKST03010200), or the KRX service (e.g. sto/stk_bydd_trd), or "tokenP".
    path: URL path requested. params: query parameters (or the non-secret part of a POST body).
    status: HTTP status. body: response body as text (OAuth tokens redacted). fetched_at: aware UTC time received.
    tr_cont: KIS paging header of the response ("" when absent).
    """

    source: str
    tr_id: str
    path: str
    params: dict[str, str] = field(default_factory=dict)
    status: int = 0
    body: str = ""
    fetched_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    tr_cont: str = ""


OnResponse = Callable[[RawResponse], None]
