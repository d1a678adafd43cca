"""option_chain_snapshots and option_matrices against the simulator's option board, over HTTP, into PostgreSQL."""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Iterator
from datetime import date, datetime

import dagster as dg
import psycopg
import pytest

from kis_platform.calendar import KST
from kis_platform.defs.options import matrix as mx
from kis_platform.defs.options.assets import option_chain_snapshots, option_matrices
from kis_platform.defs.resources import build_resources
from kis_platform.settings import get_settings

NOW = "2026-11-20T10:05:30+09:00"
KEY, PAST_KEY = "2026-11-20-10:05", "2026-11-20-10:02"
EXPIRIES = ["202612", "202701"]  # 202611 expired on 2026-11-12 (2nd Thursday)


@pytest.fixture
def fixed_session(platform: str, sim, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The simulator frozen at 10:05:30 on a session day, the platform clock following it."""
    sim.set_clock("fixed", NOW)
    monkeypatch.setenv("KIS_PLATFORM_CLOCK", "simulator")
    get_settings.cache_clear()
    instance.add_dynamic_partitions("session_minutes", [PAST_KEY, KEY])
    yield platform
    sim.clear_faults()
    sim.set_clock("real")


def _run(assets: list, instance: dg.DagsterInstance, key: str = KEY) -> dg.ExecuteInJobResult:
    return dg.materialize(assets, instance=instance, resources=build_resources(), partition_key=key,
                          raise_on_error=False)


def _one(dsn: str, query: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


def _matrix(dsn: str, symbol: str, metric: str) -> dict[str, float | None]:
    cols = mx.CALL_CELLS + mx.PUT_CELLS
    [row] = _one(dsn, f"SELECT atm_strike, atm_rule, {', '.join(cols)} FROM option_matrices WHERE underlying_symbol = %s "
                      "AND metric_type = %s AND \"timestamp\" = '2026-11-20 10:05+09'", (symbol, metric))
    return {"atm_strike": float(row[0]), "atm_rule": row[1],
            **{c: None if v is None else float(v) for c, v in zip(cols, row[2:])}}


def test_snapshot_and_matrices_of_one_minute(fixed_session: str, instance, sim) -> None:
    dsn = fixed_session
    result = _run([option_chain_snapshots, option_matrices], instance)
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed, check.metadata["summary"]
    per_side = _one(dsn, "SELECT expiry, option_type, count(*), count(*) FILTER (WHERE is_atm), min(source) "
                         "FROM option_chain_snapshots WHERE snapshot_ts = '2026-11-20 10:05+09' GROUP BY 1, 2 ORDER BY 1, 2")
    assert per_side == [(e, s, 100, 1, "SIM_KIS") for e in EXPIRIES for s in "CP"]
    [(bad_calls, bad_puts)] = _one(dsn, "SELECT count(*) FILTER (WHERE option_type = 'C' AND delta NOT BETWEEN 0 AND 1), "
                                        "count(*) FILTER (WHERE option_type = 'P' AND delta NOT BETWEEN -1 AND 0) "
                                        "FROM option_chain_snapshots")
    assert (bad_calls, bad_puts) == (0, 0)

    again = _run([option_chain_snapshots], instance)  # same minute again: replaced, not duplicated
    assert again.success
    meta = again.asset_materializations_for_node("option_chain_snapshots")[0].metadata
    assert meta["expiry_list"].value == "cached"  # the listing is asked once a day per machine
    assert meta["kis_requests"].value - meta["token_issuances"].value == len(EXPIRIES)  # the two boards only
    assert _one(dsn, "SELECT count(*) FROM option_chain_snapshots") == [(400,)]

    mat = result.asset_materializations_for_node("option_matrices")[0].metadata
    assert mat["atm_rule"].value == mx.ATM_RULE and mat["atm_disagreements_with_kis"].value == {}
    png = base64.b64decode(re.search(r"base64,([A-Za-z0-9+/=]+)", mat["iv_smile"].value).group(1))
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (600, 350) and len(png) < 60_000
    assert _one(dsn, "SELECT count(*) FROM option_matrices") == [(len(EXPIRIES) * len(mx.METRICS),)]
    for expiry in EXPIRIES:
        symbol = f"{expiry}_KOSPI200"
        # the ATM rule, independently in SQL: strike nearest the underlying level, lower strike on a tie
        [(rule_atm, spot)] = _one(dsn, "SELECT strike, underlying_price FROM option_chain_snapshots WHERE expiry = %s "
                                       "AND option_type = 'C' ORDER BY abs(strike - underlying_price), strike LIMIT 1",
                                  (expiry,))
        strikes = _matrix(dsn, symbol, "strike")
        assert strikes["c_atm"] == strikes["p_atm"] == strikes["atm_strike"] == float(rule_atm)
        calls = [strikes[c] for c in mx.CALL_CELLS]
        assert calls == sorted(calls) and len(set(calls)) == 21  # call ITM below ATM, OTM above
        assert all(strikes[f"p_itm{k}"] == strikes[f"c_otm{k}"] for k in range(1, 11))  # put ITM above ATM
        assert strikes["c_itm1"] <= float(spot) <= strikes["c_otm1"]
        delta = _matrix(dsn, symbol, "delta")
        call_d, put_d = [delta[c] for c in mx.CALL_CELLS], [delta[c] for c in mx.PUT_CELLS]
        assert call_d == sorted(call_d, reverse=True) and call_d[0] > 0.9 and call_d[-1] < 0.1
        assert put_d == sorted(put_d) and put_d[0] < -0.9 and put_d[-1] > -0.1


def test_matrix_cells_past_the_board_edge_are_null(fixed_session: str, instance) -> None:
    assert _run([option_chain_snapshots], instance).success
    with psycopg.connect(fixed_session) as conn:  # a board whose highest listed strike is 3 above ATM
        conn.execute("DELETE FROM option_chain_snapshots o USING option_chain_snapshots a WHERE a.is_atm AND "
                     "a.option_type = 'C' AND a.expiry = o.expiry AND o.strike > a.strike + 7.5")
    assert _run([option_matrices], instance).success
    for metric in ("strike", "iv", "open_interest"):
        m = _matrix(fixed_session, "202612_KOSPI200", metric)
        assert all(m[f"c_otm{k}"] is not None and m[f"p_itm{k}"] is not None for k in range(1, 4))
        assert all(m[f"c_otm{k}"] is None and m[f"p_itm{k}"] is None for k in range(4, 11)), metric
        assert m["c_itm10"] is not None and m["p_otm10"] is not None


def test_past_minute_is_refused_and_recorded_not_recoverable(fixed_session: str, instance, sim) -> None:
    boards_before = sim.stats()["by_tr_id"].get("FHPIF05030100", 0)
    result = _run([option_chain_snapshots], instance, PAST_KEY)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    assert "cannot be refetched for a past minute" in failure.step_failure_data.user_failure_data.description
    assert sim.stats()["by_tr_id"].get("FHPIF05030100", 0) == boards_before  # today's board was not fetched
    assert _one(fixed_session, "SELECT count(*) FROM option_chain_snapshots") == [(0,)]
    ledger = _one(fixed_session, "SELECT symbol, reason, details->>'code', details->>'lost_minute' FROM completeness "
                                 "WHERE dataset = 'option_chain_snapshots' AND symbol <> '*' ORDER BY 1")
    assert ledger == [(f"{e}_KOSPI200", "BEYOND_RETENTION", "not_recoverable", PAST_KEY) for e in EXPIRIES]


def test_rerun_after_the_minute_keeps_the_stored_snapshot(fixed_session: str, instance, sim) -> None:
    assert _run([option_chain_snapshots], instance).success
    before = _one(fixed_session, "SELECT * FROM option_chain_snapshots ORDER BY expiry, option_type, strike")
    sim.set_clock("fixed", "2026-11-20T10:30:00+09:00")
    result = _run([option_chain_snapshots, option_matrices], instance)
    assert result.success
    meta = result.asset_materializations_for_node("option_chain_snapshots")[0].metadata
    assert meta["refetched"].value is False
    assert _one(fixed_session, "SELECT * FROM option_chain_snapshots ORDER BY expiry, option_type, strike") == before


def test_nonsense_greeks_are_dropped_and_filed(fixed_session: str, instance, sim) -> None:
    sim.set_faults(nonsense_greeks=0.05)
    result = _run([option_chain_snapshots, option_matrices], instance)
    assert result.success  # a snapshot cannot be fetched again: the valid rows are kept
    [check] = result.get_asset_check_evaluations()
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert {"delta_in_range", "gamma_non_negative", "iv_positive"} <= set(check.metadata["failures_by_rule"].value)
    [(rows, impossible)] = _one(fixed_session, "SELECT count(*), count(*) FILTER (WHERE abs(delta) > 1 OR gamma < 0 "
                                               "OR iv <= 0) FROM option_chain_snapshots")
    assert impossible == 0 and 300 < rows < 400
    issues = _one(fixed_session, "SELECT DISTINCT rule, severity FROM data_quality_issues "
                                 "WHERE asset = 'option_chain_snapshots'")
    assert ("delta_in_range", "WARN") in issues


def test_atm_rule_expiries_and_edges_without_a_board() -> None:
    assert mx.atm_strike([320.0, 315.0, 317.5], 316.25) == 315.0  # tie: the lower strike
    assert mx.atm_strike([320.0, 315.0, 317.5], 317.4) == 317.5 and mx.atm_strike([315.0], None) is None
    assert mx.last_trading_day("202611") == date(2026, 11, 12)  # 2nd Thursday
    listed = ["202611", "202612", "202701", "261119"]  # a weekly (YYMMWW) is not a monthly
    assert mx.nearest_monthlies(listed, datetime(2026, 11, 12, 15, 0, tzinfo=KST)) == ["202611", "202612"]
    assert mx.nearest_monthlies(listed, datetime(2026, 11, 12, 15, 21, tzinfo=KST)) == ["202612", "202701"]
    cells = mx.cell_strikes([300.0, 302.5, 305.0], 302.5)
    assert (cells["c_itm1"], cells["c_atm"], cells["c_otm1"], cells["p_itm1"], cells["p_otm1"]) == (
        300.0, 302.5, 305.0, 305.0, 300.0)
    assert cells["c_itm2"] is None and cells["p_itm2"] is None and cells["c_otm10"] is None
