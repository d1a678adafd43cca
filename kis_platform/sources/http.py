"""The HTTP core shared by `KisClient` and `KrxClient`: rate limit, retries, circuit breaker, landing zone, stats.

`SourceClient.call()` sends one logical request: it waits for the shared limiter, sends it, hands the raw response
to `on_response`, lets the subclass classify the body (`_check`), and retries with exponential backoff plus jitter
on retryable errors (rate limited, HTTP 5xx, timeouts, unreadable JSON), `retries` times (3 by default) and, after
`retry_until(deadline)`, for as long as another try can still end before that deadline. Anything else (bad key,
unknown error code, malformed shape) raises at once. `.stats` feeds Dagster run metadata.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import httpx

from kis_platform.sources.breaker import CircuitBreaker, backoff_delay
from kis_platform.sources.errors import MalformedResponse, RateLimited, ServerError, SourceError
from kis_platform.sources.limiter import SharedLimiter
from kis_platform.sources.raw import OnResponse, RawResponse


@dataclass
class Reply:
    """A successful answer: parsed JSON `data`, HTTP `status`, the `tr_cont` paging header and the raw `text`."""

    data: dict[str, Any]
    status: int
    tr_cont: str = ""
    text: str = field(default="", repr=False)


def parse_json(resp: httpx.Response, tr_id: str) -> dict[str, Any]:
    """The body as a JSON object; bad JSON from a 5xx is a ServerError, from anything else a (retryable) Malformed."""
    try:
        data = json.loads(resp.text)
    except ValueError:
        if resp.status_code >= 500:
            raise ServerError(f"HTTP {resp.status_code}", tr_id=tr_id, status=resp.status_code, raw=resp.text) from None
        err = MalformedResponse(f"body is not valid JSON (HTTP {resp.status_code}, {len(resp.content)} bytes)",
                                tr_id=tr_id, field="<body>", status=resp.status_code, raw=resp.text)
        err.retryable = True  # most often a truncated transfer; the next try usually reads whole
        raise err from None
    if not isinstance(data, dict):
        raise MalformedResponse(f"body is a JSON {type(data).__name__}, expected an object", tr_id=tr_id,
                                field="<body>", status=resp.status_code, raw=resp.text)
    return data


class SourceClient:
    """Base of the service clients; subclasses set `name`, build headers and implement `_check()`."""

    name = "source"

    def __init__(
        self,
        base_url: str,
        *,
        source_tag: str,
        limiter: SharedLimiter | None = None,
        on_response: OnResponse | None = None,
        timeout: float | httpx.Timeout = httpx.Timeout(10.0, connect=5.0),
        retries: int = 3,
        backoff_base: float = 0.25,
        backoff_cap: float = 8.0,
        breaker_threshold: int = 5,
        breaker_cooldown_s: float = 30.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.base_url, self.source_tag, self.limiter, self.on_response = base_url, source_tag, limiter, on_response
        self.http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)
        self.retries, self.backoff_base, self.backoff_cap, self._sleep = retries, backoff_base, backoff_cap, sleep
        self._monotonic, self.deadline = monotonic, None
        self.breaker = CircuitBreaker(self.name, breaker_threshold, breaker_cooldown_s)
        self._counts = {"requests": 0, "retries": 0, "rate_limited": 0}

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    @property
    def stats(self) -> dict[str, Any]:
        """Counters of this client for run metadata: requests, retries, rate_limited, breaker_state, breaker_opens."""
        return {**self._counts, "breaker_state": self.breaker.state, "breaker_opens": self.breaker.opens,
                "limiter_wait_s": round(self.limiter.waited_s, 3) if self.limiter else 0.0}

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SourceClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def retry_until(self, deadline: float | None) -> None:
        """Retry retryable errors `retries` times and then for as long as the backoff still ends before `deadline`
        (in this client's monotonic seconds); None: the count only. For steps whose answer is worth every try
        until a moment and little after it: a live minute. A burst of EGW00201 outlasted the fixed count when
        every step gave up after a few tries, as all of them did in the burst minutes of `bench session`."""
        self.deadline = deadline

    def _may_retry(self, attempt: int, delay: float) -> bool:
        if attempt < self.retries:
            return True
        return self.deadline is not None and self._monotonic() + delay < self.deadline

    def _check(self, resp: httpx.Response, tr_id: str) -> dict[str, Any]:
        """Return the parsed body of a successful response or raise the matching SourceError."""
        raise NotImplementedError

    def call(self, method: str, path: str, *, tr_id: str, params: dict[str, str] | None = None,
             json_body: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
             bucket: str | None = None, record_params: dict[str, str] | None = None) -> Reply:
        """Send one logical request with limiter, retries and breaker; `record_params` replaces params in the log."""
        attempt, send_bucket = 0, bucket
        while True:
            self.breaker.check(tr_id)
            try:
                reply = self._once(method, path, tr_id, params, json_body, headers, send_bucket, record_params)
            except SourceError as err:
                if isinstance(err, RateLimited):
                    self._counts["rate_limited"] += 1
                elif err.retryable:
                    self.breaker.failure()
                else:
                    self.breaker.success()  # the service answered coherently
                cap, send_bucket = self.backoff_cap, bucket
                if isinstance(err, RateLimited):
                    # EGW00201 is the gateway's per-second limit: waits past half a second only lose time. The
                    # refused call never reached the service, so its retry needs only the key's own limit, not
                    # the endpoint's (the option board's 1/s advice is about its slow query).
                    cap = min(cap, 0.5)
                    if self.limiter is not None and bucket:
                        send_bucket = self.limiter.key_bucket(bucket)
                delay = backoff_delay(attempt + 1, self.backoff_base, cap)
                if not err.retryable or self.breaker.state == "open" or not self._may_retry(attempt, delay):
                    raise
                attempt += 1
                self._counts["retries"] += 1
                self._sleep(delay)
                continue
            self.breaker.success()
            return reply

    def _once(self, method: str, path: str, tr_id: str, params: dict[str, str] | None,
              json_body: dict[str, Any] | None, headers: dict[str, str] | None, bucket: str | None,
              record_params: dict[str, str] | None) -> Reply:
        if self.limiter is not None and bucket:
            self.limiter.acquire(bucket)
        self._counts["requests"] += 1
        try:
            resp = self.http.request(method, path, params=params, json=json_body, headers=headers)
        except httpx.TimeoutException as exc:
            raise ServerError(f"timed out ({type(exc).__name__})", tr_id=tr_id) from None
        except httpx.TransportError as exc:
            raise ServerError(f"transport error ({type(exc).__name__})", tr_id=tr_id) from None
        tr_cont = resp.headers.get("tr_cont", "")
        if self.on_response is not None:
            self.on_response(RawResponse(
                source=self.source_tag, tr_id=tr_id, path=path, params=dict(record_params or params or {}),
                status=resp.status_code, body=self._landing_body(resp, tr_id), fetched_at=datetime.now(timezone.utc),
                tr_cont=tr_cont))
        return Reply(self._check(resp, tr_id), resp.status_code, tr_cont, resp.text)

    def _landing_body(self, resp: httpx.Response, tr_id: str) -> str:
        return resp.text
