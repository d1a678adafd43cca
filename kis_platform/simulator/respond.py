"""Request-level faults shared by the KIS and KRX surfaces, and JSON responses."""

from __future__ import annotations

import asyncio

from starlette.responses import Response

from kis_platform.simulator.kis.fmt import dumps
from kis_platform.simulator.state import SimState

JSON_TYPE = "application/json; charset=utf-8"


async def before(state: SimState) -> Response | None:
    """Delay, hang or a gateway 5xx, as configured; None to go on."""
    f = state.faults
    if f.get("delay_seconds"):
        state.stats.fault("delay")
        await asyncio.sleep(float(f.get("delay_seconds")))
    if f.draw("hang_rate"):
        state.stats.fault("hang")
        await asyncio.sleep(float(f.get("hang_seconds")))
        return Response(b"", status_code=504)
    if f.draw("error_5xx_rate"):
        state.stats.fault("error_5xx")
        status = 502 if state.faults.draw("error_5xx_rate") else 503
        html = f"<html><head><title>{status}</title></head><body><h1>{status} Service Unavailable</h1></body></html>"
        return Response(html.encode(), status_code=status, media_type="text/html")
    return None


def json_response(state: SimState, body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """JSON body; a 200 body may be cut in half by the malformed-JSON fault."""
    data = dumps(body)
    if status == 200 and state.faults.draw("malformed_json_rate"):
        state.stats.fault("malformed_json")
        data = data[: len(data) // 2]
    return Response(data, status_code=status, headers=headers, media_type=JSON_TYPE)
