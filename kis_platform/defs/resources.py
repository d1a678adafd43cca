"""Resources shared by every domain: the market database and the source clients.

Secrets are declared as environment variables (shown as such in the UI, never as values); in sim mode no keys
are needed and the settings module supplies the simulator's.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import dagster as dg
import psycopg

from kis_platform import clock
from kis_platform.settings import Settings, get_settings, load_settings
from kis_platform.sources.factory import kis_client, krx_client
from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.krx.client import KrxClient
from kis_platform.sources.raw import RawResponse
from kis_platform.storage.database import market_dsn
from kis_platform.storage.writer import MarketWriter, get_writer

LANDING_BATCH = 200


class MarketDatabase(dg.ConfigurableResource):
    """The market-data database: embedded PostgreSQL, or DATABASE_URL."""

    def dsn(self) -> str:
        return market_dsn()

    def writer(self) -> MarketWriter:
        return get_writer(self.dsn())

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.dsn())


@dataclass
class LandingZone:
    """Collects every raw response of a step and writes it to `raw_responses` in batches."""

    writer: MarketWriter
    pending: list[RawResponse] = field(default_factory=list)
    written: int = 0

    def __call__(self, record: RawResponse) -> None:
        self.pending.append(record)
        if len(self.pending) >= LANDING_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.written += self.writer.write_raw_responses(self.pending)
            self.pending.clear()


@dataclass
class SourceSession:
    """Open clients for one step, their landing zone, and their counters for run metadata."""

    settings: Settings
    kis: KisClient
    krx: KrxClient
    landing: LandingZone

    def retry_until(self, moment: datetime) -> None:
        """Let both clients retry failed requests until the platform clock reaches `moment` (at least their usual
        count of tries): a live minute's step keeps trying while its answer can still be on time."""
        seconds = clock.real_seconds_until(moment, self.settings)
        deadline = time.monotonic() + seconds if math.isfinite(seconds) else None
        self.kis.retry_until(deadline)
        self.krx.retry_until(deadline)

    def stats(self) -> dict[str, Any]:
        kis, krx = self.kis.stats, self.krx.stats
        return {
            "kis_requests": kis.get("requests", 0), "kis_retries": kis.get("retries", 0),
            "kis_rate_limited": kis.get("rate_limited", 0), "kis_breaker": str(kis.get("breaker_state", "")),
            "token_issuances": kis.get("token_issuances", 0), "krx_requests": krx.get("requests", 0),
            "raw_responses_kept": self.landing.written + len(self.landing.pending),
        }


def _env(name: str) -> Any:
    return dg.EnvVar(name) if os.environ.get(name) else None


class Sources(dg.ConfigurableResource):
    """The KIS and KRX clients, wired to the machine-wide token lease and rate limiter."""

    kis_app_key: str | None = None
    kis_app_secret: str | None = None
    krx_auth_key: str | None = None

    def _settings(self) -> Settings:
        base = get_settings()
        overrides = {k: v for k, v in (("KIS_APP_KEY", self.kis_app_key), ("KIS_APP_SECRET", self.kis_app_secret),
                                        ("KRX_AUTH_KEY", self.krx_auth_key)) if v}
        return load_settings({**os.environ, **overrides}) if overrides else base

    @contextmanager
    def session(self, database: MarketDatabase) -> Iterator[SourceSession]:
        settings = self._settings()
        landing = LandingZone(database.writer())
        kis, krx = kis_client(settings, on_response=landing), krx_client(settings, on_response=landing)
        try:
            yield SourceSession(settings, kis, krx, landing)
        finally:
            landing.flush()  # keep what was fetched even when the step fails: it can be reprocessed
            kis.close()
            krx.close()


def build_resources() -> dict[str, Any]:
    return {
        "database": MarketDatabase(),
        "sources": Sources(kis_app_key=_env("KIS_APP_KEY"), kis_app_secret=_env("KIS_APP_SECRET"),
                           krx_auth_key=_env("KRX_AUTH_KEY")),
    }


defs = dg.Definitions(resources=build_resources())
