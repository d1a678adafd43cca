"""Every fault can be switched on at runtime and is observable by a client."""

from __future__ import annotations

import httpx
import pytest

from kis_platform.simulator.config import SimConfig
from kis_platform.simulator.market.ticks import on_grid
from kis_platform_tests.simulator.conftest import FO, Kis, daily_chart, krx, minutes_past, minutes_today


@pytest.fixture()
def k(fresh) -> Kis:
    return Kis(fresh.base_url)


def test_egw00201_burst(fresh, k):
    fresh.set_faults(egw00201_burst=2)
    codes = [minutes_today(k).status_code for _ in range(3)]
    assert codes == [500, 500, 200]
    assert fresh.stats()["by_fault"]["egw00201"] == 2


def test_egw00201_for_market_seconds(fresh, k):
    """A timed burst refuses every request until the simulator's clock has moved on, however many are sent."""
    fresh.set_faults(egw00201_for_s=30)
    assert [minutes_today(k).status_code for _ in range(5)] == [500] * 5
    fresh.set_clock("fixed", "2026-11-20T12:50:59+09:00")  # 29 s later: still refused
    assert minutes_today(k).status_code == 500
    fresh.set_clock("fixed", "2026-11-20T12:51:00+09:00")  # 30 s after it was set
    assert minutes_today(k).status_code == 200
    assert fresh.stats()["by_fault"]["egw00201"] == 6
    assert fresh._admin("GET", "faults")["egw00201_for_s"] == 0


def test_5xx_and_malformed_json(fresh, k):
    fresh.set_faults(error_5xx_rate=1.0)
    r = minutes_today(k)
    assert r.status_code in (502, 503) and r.headers["content-type"].startswith("text/html")
    fresh.clear_faults()
    fresh.set_faults(malformed_json_rate=1.0)
    with pytest.raises(ValueError):
        minutes_today(k).json()


def test_delay_and_hang_are_reported(fresh, k):
    fresh.set_faults(delay_seconds=0.01)
    assert minutes_today(k).status_code == 200
    fresh.set_faults(delay_seconds=0, hang_rate=1.0, hang_seconds=0.05)
    assert minutes_today(k).status_code == 504
    assert {"delay", "hang"} <= set(fresh.stats()["by_fault"])


def test_truncated_page(fresh, k):
    fresh.set_faults(truncated_page_rate=1.0)
    rows = minutes_past(k).json()["output2"]
    assert 0 < len(rows) < 120


def test_token_faults(fresh, k):
    fresh.set_faults(expire_tokens=True)
    assert minutes_today(k).json()["msg_cd"] == "EGW00123"
    fresh.set_faults(revoke_tokens=True)
    assert minutes_today(k).json()["msg_cd"] == "EGW00121"
    k.token = k.issue().json()["access_token"]
    assert minutes_today(k).status_code == 200
    fresh.set_faults(token_error="EGW00121")
    assert minutes_today(k).json()["msg_cd"] == "EGW00121"


def test_price_mismatch_between_krx_and_kis(fresh, k):
    fresh.set_faults(price_mismatch=["005930:20261119"])
    kis_close = next(r["stck_clpr"] for r in daily_chart(k).json()["output2"] if r["stck_bsop_date"] == "20261119")
    rows = krx(k.http, "sto/stk_bydd_trd", "20261119").json()["OutBlock_1"]
    krx_close = next(r["TDD_CLSPRC"] for r in rows if r["ISU_CD"] == "005930")
    other = next(r["TDD_CLSPRC"] for r in rows if r["ISU_CD"] == "000660")
    assert kis_close != krx_close
    fresh.clear_faults()
    rows = krx(k.http, "sto/stk_bydd_trd", "20261119").json()["OutBlock_1"]
    assert next(r["TDD_CLSPRC"] for r in rows if r["ISU_CD"] == "005930") == kis_close
    assert next(r["TDD_CLSPRC"] for r in rows if r["ISU_CD"] == "000660") == other


@pytest.mark.parametrize("fault,check", [
    ("negative_price", lambda rows: any(r["stck_prpr"].startswith("-") for r in rows)),
    ("off_grid_price", lambda rows: not all(on_grid(int(r["stck_prpr"])) for r in rows)),
    ("high_below_low", lambda rows: any(int(r["stck_hgpr"]) < int(r["stck_lwpr"]) for r in rows)),
    ("duplicate_rows", lambda rows: len(rows) > len({r["stck_cntg_hour"] for r in rows})),
    ("outside_session", lambda rows: any(r["stck_cntg_hour"] == "170000" for r in rows)),
    ("stale_feed", lambda rows: len({(r["stck_prpr"], r["cntg_vol"]) for r in rows[:60]}) == 1),
])
def test_bad_data(fresh, k, fault, check):
    clean = minutes_past(k).json()["output2"]
    assert not check(clean)
    fresh.set_faults(**{fault: 0.5 if fault != "stale_feed" else 1.0})
    assert check(minutes_past(k).json()["output2"])
    assert fault in fresh.stats()["by_fault"]


def test_nonsense_greeks(fresh, k):
    fresh.set_faults(nonsense_greeks=0.2)
    board = k.get(FO + "display-board-callput", "FHPIF05030100", FID_COND_MRKT_DIV_CODE="O",
                  FID_COND_SCR_DIV_CODE="20503", FID_MRKT_CLS_CODE="CO", FID_MTRT_CNT="202612",
                  FID_COND_MRKT_CLS_CODE="", FID_MRKT_CLS_CODE1="PO").json()
    assert any(abs(float(r["delta_val"])) > 1 for r in board["output1"] + board["output2"])


def test_fault_admin_validation_and_clear(fresh):
    r = httpx.post(f"{fresh.base_url}/__sim/faults", json={"no_such_fault": 1})
    assert r.status_code == 400
    fresh.set_faults(error_5xx_rate=0.3)
    assert httpx.post(f"{fresh.base_url}/__sim/faults", json={}).json()["error_5xx_rate"] == 0.0


def test_faults_from_start_up_options():
    from kis_platform.simulator.cli import config_from_args, parser

    args = parser(18080).parse_args(["--fault", "error_5xx_rate=0.25", "--fault", "price_mismatch=005930:20261119",
                                     "--clock", "fixed", "--start", "2026-11-20T09:00:00+09:00", "--env", "paper"])
    cfg = config_from_args(args)
    assert isinstance(cfg, SimConfig) and cfg.rate == 2.0
    assert cfg.faults == {"error_5xx_rate": 0.25, "price_mismatch": ["005930:20261119"]}
