"""KisClient/KrxClient behaviour: headers, retries, breaker, token re-issue, typed errors, landing zone, secrecy."""

from __future__ import annotations

import json
import logging
from datetime import date

import httpx
import pytest

from kis_platform.sources.errors import (AuthError, BreakerOpen, MalformedResponse, NotFound, RateLimited,
                                         ServerError, TokenError, UnknownErrorCode)
from kis_platform.sources.kis import daily, minutes
from kis_platform.sources.kis.auth import IssuedToken
from kis_platform.sources.limiter import Bucket, SharedLimiter
from kis_platform.sources.raw import RawResponse
from kis_platform_tests.sources.conftest import APP_KEY, APP_SECRET, KRX_KEY, TOKEN, sample_text

OK = "FHKST03010200_inquire-time-itemchartprice.json"
RATE = sample_text("ERROR_EGW00201_rate-limit.json")


def scripted(*answers):
    """A handler that gives the answers in turn (the last one repeats); each is (status, body) or an exception."""
    seen: list[httpx.Request] = []

    def handler(request):
        seen.append(request)
        answer = answers[min(len(seen) - 1, len(answers) - 1)]
        if isinstance(answer, Exception):
            raise answer
        status, body = answer
        return httpx.Response(status, content=body.encode() if isinstance(body, str) else body)

    handler.seen = seen  # type: ignore[attr-defined]
    return handler


def test_headers_and_landing_zone(make_kis):
    records: list[RawResponse] = []
    handler = scripted((200, sample_text(OK)))
    client = make_kis(handler, on_response=records.append)
    minutes.today_minutes(client, "005930", until="125000")
    req = handler.seen[0]
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["appkey"] == APP_KEY and req.headers["appsecret"] == APP_SECRET
    assert req.headers["tr_id"] == "FHKST03010200" and req.headers["custtype"] == "P"
    assert req.headers["tr_cont"] == "" and req.headers["content-type"].startswith("application/json")
    assert req.url.params["FID_INPUT_ISCD"] == "005930" and req.url.params["FID_INPUT_HOUR_1"] == "125000"
    token_rec, rec, rec2 = records  # the page was short of 09:00, so the walk asked once more, 1 min earlier
    assert handler.seen[1].url.params["FID_INPUT_HOUR_1"] == "124800"
    assert token_rec.tr_id == "tokenP" and TOKEN not in token_rec.body and "<redacted>" in token_rec.body
    assert rec.tr_id == "FHKST03010200" and rec.status == 200 and rec.body == sample_text(OK)
    assert rec.params["FID_INPUT_ISCD"] == "005930" and rec.source == "KIS"
    assert rec.fetched_at.tzinfo is not None and rec.path.endswith("inquire-time-itemchartprice")
    assert client.stats["requests"] == 3 and client.stats["token_issuances"] == 1


def test_rate_limited_then_ok_is_retried(make_kis):
    client = make_kis(scripted((500, RATE), (500, RATE), (200, sample_text(OK))))
    df = minutes.today_minutes(client, "005930", until="125000")
    assert len(df) == 2
    assert client.stats["retries"] == 2 and client.stats["rate_limited"] == 2
    assert client.stats["breaker_state"] == "closed"


def test_rate_limited_forever_raises_typed(make_kis):
    client = make_kis(scripted((500, RATE)), retries=3)
    with pytest.raises(RateLimited) as info:
        minutes.today_minutes(client, "005930")
    assert info.value.msg_cd == "EGW00201" and info.value.tr_id == "FHKST03010200"
    assert info.value.raw == RATE and client.stats["requests"] == 1 + 4


class FakeTime:
    """Monotonic seconds that only the client's own sleeps move on."""

    def __init__(self) -> None:
        self.now, self.sleeps = 100.0, []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_rate_limited_is_retried_until_the_deadline_not_just_the_count(make_kis):
    # a burst of 12 EGW00201: three retries would give up; a live minute's step keeps trying while it can be on time
    fake = FakeTime()
    client = make_kis(scripted(*[(500, RATE)] * 12, (200, sample_text(OK))), retries=3, backoff_base=0.25,
                      sleep=fake.sleep, monotonic=lambda: fake.now)
    client.retry_until(fake.now + 30.0)
    assert len(minutes.today_minutes(client, "005930", until="125000")) == 2
    assert client.stats["rate_limited"] == 12 and client.stats["retries"] == 12
    assert max(fake.sleeps) < 0.75  # EGW00201 is a per-second limit: no multi-second backoff
    assert fake.now <= 130.0


def test_refused_board_call_is_retried_under_the_key_limit_only(make_kis, tmp_path):
    # the gateway refused it before the slow board query ran: the retry waits for the key's per-second limit, not
    # for the board's 1/s advice; a 5xx did reach the service, so its retry takes the board's slot again
    limiter = SharedLimiter(tmp_path / "limits", {"kis": Bucket(1e6, 1e6), "board": Bucket(1e6, 1e6, also=("kis",))})
    taken: list[str] = []
    take = limiter.take
    limiter.take = lambda name: taken.append(name) or take(name)
    client = make_kis(scripted((500, RATE), (503, "down"), (200, sample_text(OK))), limiter=limiter)
    client.get("/uapi/x", "FHKST03010200", {}, bucket="board")
    assert limiter.key_bucket("board") == "kis" and limiter.key_bucket("kis") == "kis"
    assert taken == ["kis",  # the token
                     "board", "kis",  # first try
                     "kis",  # after EGW00201
                     "board", "kis"]  # after the 503


def test_deadline_stops_retries_that_could_not_end_in_time_but_keeps_the_count(make_kis):
    fake = FakeTime()
    client = make_kis(scripted((503, "down")), retries=3, backoff_base=0.25, breaker_threshold=100,
                      sleep=fake.sleep, monotonic=lambda: fake.now)
    client.retry_until(fake.now + 20.0)
    with pytest.raises(ServerError):
        minutes.today_minutes(client, "005930")
    assert fake.now <= 120.0 and client.stats["retries"] > 3  # kept trying past the count, stopped at the deadline
    late = make_kis(scripted((503, "down")), retries=3, breaker_threshold=100, sleep=fake.sleep,
                    monotonic=lambda: fake.now)
    late.retry_until(fake.now - 1.0)  # a run that starts after its minute still gets its usual tries
    with pytest.raises(ServerError):
        minutes.today_minutes(late, "005930")
    assert late.stats["retries"] == 3


def test_5xx_and_timeouts_retried(make_kis):
    client = make_kis(scripted((502, "<html>bad gateway</html>"), httpx.ReadTimeout("slow"), (200, sample_text(OK))))
    assert len(minutes.today_minutes(client, "005930", until="125000")) == 2
    assert client.stats["retries"] == 2


def test_breaker_opens_after_five_failures_and_half_opens(make_kis, caplog):
    clock = [1000.0]
    client = make_kis(scripted((503, "down")), retries=10, breaker_cooldown_s=30.0)
    client.breaker._clock = lambda: clock[0]
    caplog.set_level(logging.WARNING, logger="kis_platform.sources")
    with pytest.raises(ServerError):
        minutes.today_minutes(client, "005930")
    assert client.stats["breaker_state"] == "open" and client.stats["breaker_opens"] == 1
    assert client.stats["requests"] == 1 + 5  # token + five failures, then it stops retrying
    with pytest.raises(BreakerOpen):
        minutes.today_minutes(client, "005930")
    assert client.stats["requests"] == 6  # fails fast, nothing sent
    clock[0] += 31
    client.http._transport = httpx.MockTransport(scripted((200, sample_text(OK))))
    assert len(minutes.today_minutes(client, "005930", until="125000")) == 2
    assert client.stats["breaker_state"] == "closed"
    text = caplog.text
    assert "closed -> open" in text and "open -> half_open" in text and "half_open -> closed" in text


def test_expired_token_reissued_once(make_kis, tmp_path):
    expired = json.dumps({"rt_cd": "1", "msg_cd": "EGW00123", "msg1": "기간이 만료된 token 입니다."})
    handler = scripted((500, expired), (200, sample_text(OK)))
    client = make_kis(handler)
    client.lease._sleep = lambda s: None
    tokens = iter(["tok-A", "tok-B"])
    client.lease._issue = lambda: IssuedToken(next(tokens), 9e12, 0.0)
    assert len(minutes.today_minutes(client, "005930", until="125000")) == 2
    auths = [r.headers["authorization"] for r in handler.seen]
    assert auths[:2] == ["Bearer tok-A", "Bearer tok-B"] and set(auths[2:]) == {"Bearer tok-B"}


def test_invalid_token_twice_raises(make_kis):
    invalid = json.dumps({"rt_cd": "1", "msg_cd": "EGW00121", "msg1": "유효하지 않은 token 입니다."})
    client = make_kis(scripted((500, invalid)))
    client.lease._sleep = lambda s: None
    with pytest.raises(TokenError) as info:
        minutes.today_minutes(client, "005930")
    assert info.value.msg_cd == "EGW00121"


def test_non_retryable_errors_raise_at_once(make_kis):
    bad_key = json.dumps({"rt_cd": "1", "msg_cd": "EGW02004",
                          "msg1": "실전투자 도메인은 모의투자 앱키로 호출하실 수 없습니다."})
    client = make_kis(scripted((500, bad_key)))
    with pytest.raises(AuthError):
        minutes.today_minutes(client, "005930")
    assert client.stats["retries"] == 0
    weird = json.dumps({"rt_cd": "1", "msg_cd": "ZZZ99999", "msg1": "무슨 오류"})
    client = make_kis(scripted((200, weird)))
    with pytest.raises(UnknownErrorCode) as info:
        minutes.today_minutes(client, "005930")
    assert info.value.msg_cd == "ZZZ99999" and info.value.raw == weird and "FHKST03010200" in str(info.value)
    assert client.stats["retries"] == 0


def test_malformed_bodies_name_tr_and_field(make_kis):
    body = json.loads(sample_text(OK))
    cases = {
        '{"output1": {"stck_prpr": "1"}, "output2": [': "<body>",  # truncated JSON (retried, then raised)
        json.dumps({k: v for k, v in body.items() if k != "output2"}): "output2",
        json.dumps({**body, "output2": {"a": "1"}}): "output2",
        json.dumps({**body, "output2": [{**body["output2"][0], "cntg_vol": 69449}]}): "cntg_vol",
        json.dumps({**body, "output2": [{**body["output2"][0], "stck_oprc": "75,3OO"}]}): "stck_oprc",
        json.dumps({**body, "output2": [{k: v for k, v in body["output2"][0].items() if k != "stck_hgpr"}]}): "stck_hgpr",
    }
    for text, field in cases.items():
        client = make_kis(scripted((200, text)))
        with pytest.raises(MalformedResponse) as info:
            minutes.today_minutes(client, "005930")
        err = info.value
        assert err.tr_id == "FHKST03010200" and err.field == field and err.raw == text, (field, str(err))
        assert "FHKST03010200" in str(err) and field in str(err)


def test_unknown_symbol_is_not_found(make_kis):
    body = json.loads(sample_text("FHKST03010100_inquire-daily-itemchartprice.json"))
    body["output1"] = {**body["output1"], "stck_prpr": "0", "hts_kor_isnm": ""}
    body["output2"] = []
    client = make_kis(scripted((200, json.dumps(body))))
    with pytest.raises(NotFound) as info:
        daily.daily_bars(client, "999999", date(2024, 1, 1), date(2024, 2, 1))
    assert "999999" in str(info.value)


def test_secrets_never_in_logs_or_errors(make_kis, make_krx, caplog):
    caplog.set_level(logging.DEBUG)
    errors = []
    for answer in ((500, RATE), (200, "not json"), (503, "x"), (403, json.dumps({"error_code": "EGW00133"}))):
        client = make_kis(scripted(answer), retries=1)
        try:
            minutes.today_minutes(client, "005930")
        except Exception as exc:  # noqa: BLE001 - every error text is inspected below
            errors.append(exc)
        errors.append(client)
    krx = make_krx(scripted((401, "Unauthorized API Call")))
    with pytest.raises(AuthError) as info:
        krx.service("sto/stk_bydd_trd", date(2024, 1, 2))
    errors += [info.value, krx]
    texts = [caplog.text] + [str(e) + repr(e) + str(getattr(e, "raw", "")) for e in errors]
    for secret in (APP_KEY, APP_SECRET, TOKEN, KRX_KEY):
        assert not any(secret in t for t in texts), secret
    assert len(errors) == 10


def test_token_file_is_private(make_kis, tmp_path):
    client = make_kis(scripted((200, sample_text(OK))))
    minutes.today_minutes(client, "005930", until="125000")
    assert (client.lease.path.stat().st_mode & 0o777) == 0o600
    assert TOKEN not in repr(client.lease) and TOKEN not in repr(client)
