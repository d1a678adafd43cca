"""Client processes used by the simulator integration test and the bench (spawn-importable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kis_platform.settings import DEFAULT_SYMBOLS, SIM_APP_KEY, SIM_APP_SECRET
from kis_platform.sources.kis import daily
from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.limiter import SharedLimiter, default_buckets


def hammer_client(base_url: str, state_dir: str, calls: int, barrier: Any, out: str) -> None:
    """Make `calls` FHKST01010400 calls through a real KisClient sharing `state_dir` with the other processes."""
    client = KisClient(base_url, SIM_APP_KEY, SIM_APP_SECRET, state_dir=Path(state_dir), source_tag="SIM",
                       limiter=SharedLimiter(Path(state_dir), default_buckets("sim")))
    symbols = DEFAULT_SYMBOLS.split(",")
    barrier.wait()
    rows = sum(len(daily.recent_daily(client, symbols[i % len(symbols)])) for i in range(calls))
    Path(out).write_text(json.dumps({"rows": rows, "stats": client.stats}))
