"""Per-second limit, token issuance limits and token rejections: answered like KIS and counted."""

from __future__ import annotations

from kis_platform.simulator import SimConfig, run_in_thread
from kis_platform_tests.simulator.conftest import NOW, Kis, minutes_today, sample


def test_paper_rate_limit_answers_egw00201_and_counts_it():
    with run_in_thread(SimConfig(clock="fixed", start=NOW, env="paper")) as s:
        k = Kis(s.base_url)
        answers = [minutes_today(k) for _ in range(12)]  # far more than 2 in a second on any machine
        limited = [r for r in answers if r.status_code == 500]
        assert limited, "no request was limited"
        assert all(r.json() == sample("ERROR_EGW00201_rate-limit.json") for r in limited)
        assert list(limited[0].json()) == ["rt_cd", "msg1", "msg_cd"]
        assert s.stats()["rate_violations"] == len(limited)


def test_token_issuance_once_per_minute():
    with run_in_thread(SimConfig(clock="fixed", start=NOW)) as s:
        k = Kis(s.base_url)
        again = k.issue()
        assert again.status_code == 403
        assert again.json() == sample("ERROR_EGW00133_token-rate.json")
        st = s.stats()
        assert st["token_rate_violations"] == 1 and st["token_issuances"] == 1


def test_same_token_within_six_hours(fresh):
    k = Kis(fresh.base_url)
    second = k.issue().json()
    assert second["access_token"] == k.token
    assert fresh.stats()["token_issuances"] == 1


def test_expired_and_unknown_tokens_are_rejected_and_counted():
    with run_in_thread(SimConfig(clock="fixed", start=NOW, token_lifetime=0)) as s:
        k = Kis(s.base_url)
        r = minutes_today(k)
        assert r.status_code == 500 and r.json()["msg_cd"] == "EGW00123"
        r = k.get("/uapi/domestic-stock/v1/quotations/inquire-time-itemchartprice", "FHKST03010200",
                  token="not-a-token", FID_INPUT_ISCD="005930")
        assert r.json()["msg_cd"] == "EGW00121"
        assert s.stats()["token_rejections"] == 2


def test_bad_app_key_and_tr_id(kis):
    r = kis.http.get("/uapi/domestic-stock/v1/quotations/inquire-investor",
                     headers={"authorization": f"Bearer {kis.token}", "appkey": "short", "appsecret": "x",
                              "tr_id": "FHKST01010900"})
    assert r.status_code == 500 and r.json()["rt_cd"] == "1"
    r = kis.get("/uapi/domestic-stock/v1/quotations/inquire-investor", "FHKST99999999", FID_INPUT_ISCD="005930")
    assert r.json()["rt_cd"] == "1"


def test_paper_host_refuses_real_only_trs():
    with run_in_thread(SimConfig(clock="fixed", start=NOW, env="paper")) as s:
        r = Kis(s.base_url).get("/uapi/domestic-stock/v1/quotations/chk-holiday", "CTCA0903R", BASS_DT="20261120")
        assert r.json()["rt_cd"] == "1"


def test_krx_auth_and_daily_quota():
    with run_in_thread(SimConfig(clock="fixed", start=NOW, krx_key="K", krx_daily_limit=2)) as s:
        import httpx

        h = httpx.Client(base_url=s.base_url)
        assert h.get("/svc/apis/idx/kospi_dd_trd", params={"basDd": "20261119"},
                     headers={"AUTH_KEY": "wrong"}).status_code == 401
        codes = [h.get("/svc/apis/idx/kospi_dd_trd", params={"basDd": "20261119"}, headers={"AUTH_KEY": "K"}).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 429]
        st = s.stats()
        assert st["krx_calls_today"] == 3 and st["krx_rejections"] == 2
