"""Build the clients from settings: one call gives a client wired to the shared limiter and token lease."""

from __future__ import annotations

from typing import Any

from kis_platform.settings import Settings, get_settings
from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.krx.client import KrxClient
from kis_platform.sources.limiter import Bucket, SharedLimiter, default_buckets
from kis_platform.sources.raw import OnResponse


def shared_limiter(settings: Settings | None = None, buckets: dict[str, Bucket] | None = None) -> SharedLimiter:
    """The machine-wide limiter in `settings.state_dir` with the defaults for `settings.kis_env`."""
    settings = settings or get_settings()
    return SharedLimiter(settings.state_dir, buckets or default_buckets(settings.kis_env))


def kis_client(settings: Settings | None = None, on_response: OnResponse | None = None, **kwargs: Any) -> KisClient:
    """A KisClient for KIS_ENV (real, paper or sim); kwargs override timeouts, retries, breaker, limiter…"""
    settings = settings or get_settings()
    kwargs.setdefault("limiter", shared_limiter(settings))
    return KisClient(settings.kis_base_url, settings.kis_app_key, settings.kis_app_secret,
                     state_dir=settings.state_dir, source_tag=settings.source_tag, on_response=on_response, **kwargs)


def krx_client(settings: Settings | None = None, on_response: OnResponse | None = None, **kwargs: Any) -> KrxClient:
    """A KrxClient for KRX_BASE_URL / KRX_AUTH_KEY (the simulator in sim mode)."""
    settings = settings or get_settings()
    kwargs.setdefault("limiter", shared_limiter(settings))
    return KrxClient(settings.krx_base_url, settings.krx_auth_key, source_tag=settings.krx_source_tag,
                     on_response=on_response, **kwargs)
