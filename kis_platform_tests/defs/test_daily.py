"""daily_bars and investor_flows against the simulator: backfill in one run, idempotent reruns, reconciliation."""

from __future__ import annotations

import dagster as dg
import httpx
import psycopg

from kis_platform.defs.daily.assets import daily_bars
from kis_platform.defs.flows.assets import investor_flows
from kis_platform.defs.master.assets import trading_calendar
from kis_platform.defs.resources import build_resources
from kis_platform.schemas import InvestorFlowSchema
from kis_platform_tests.defs.test_master import CALENDAR_CONFIG

DAYS = ["2026-11-16", "2026-11-17", "2026-11-18"]


def _run(assets: list, instance: dg.DagsterInstance, keys: list[str], config: dict | None = None) -> dg.ExecuteInJobResult:
    tags = {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}
    return dg.materialize(assets, instance=instance, resources=build_resources(), tags=tags,
                          run_config=config or {}, raise_on_error=False)


def _check(result: dg.ExecuteInJobResult, name: str) -> dg.AssetCheckEvaluation:
    return next(e for e in result.get_asset_check_evaluations() if e.check_name == name)


def _rows(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT symbol, trade_date, source, adjusted, open, high, low, close, volume "
                            "FROM daily_bars ORDER BY 1, 2, 3, 4").fetchall()


def test_daily_backfill_range_reconciles_and_reruns_identically(platform: str, instance, sim) -> None:
    assert dg.materialize([trading_calendar], instance=instance, resources=build_resources(),
                          run_config=CALENDAR_CONFIG).success
    result = _run([daily_bars], instance, DAYS)
    assert result.success
    with psycopg.connect(platform) as conn:
        counts = dict(conn.execute("SELECT source || '/' || adjusted, count(DISTINCT symbol) FROM daily_bars "
                                   "GROUP BY 1").fetchall())
        days = [str(r[0]) for r in conn.execute("SELECT DISTINCT trade_date FROM daily_bars ORDER BY 1")]
    assert days == DAYS
    assert counts["SIM_KRX/false"] >= 2500
    assert counts["SIM_KIS/false"] == 50 and counts["SIM_KIS/true"] == 50
    check = _check(result, "kis_krx_reconciliation")
    assert check.passed and check.metadata["pairs_compared"].value == 150
    assert _check(result, "schema_guard").passed
    first = _rows(platform)
    assert _run([daily_bars], instance, DAYS[1:2]).success  # rerun one partition
    assert _rows(platform) == first


def test_reconciliation_fails_at_error_on_injected_mismatches(platform: str, instance, sim) -> None:
    assert dg.materialize([trading_calendar], instance=instance, resources=build_resources(),
                          run_config=CALENDAR_CONFIG).success
    httpx.post(f"{sim.base_url}/__sim/faults", json={"price_mismatch": ["005930:20261117", "000660:20261117"]})
    try:
        result = _run([daily_bars], instance, DAYS[1:2])
    finally:
        httpx.post(f"{sim.base_url}/__sim/faults/clear")
    check = _check(result, "kis_krx_reconciliation")
    assert not check.passed and check.severity == dg.AssetCheckSeverity.ERROR
    assert check.metadata["mismatches"].value == 2 and check.metadata["agreement"].value < 0.995
    assert "005930" in check.metadata["mismatched_pairs"].value
    with psycopg.connect(platform) as conn:
        stored = {r[0] for r in conn.execute("SELECT symbol FROM reconciliation_mismatches WHERE trade_date = '2026-11-17'")}
    assert stored == {"005930", "000660"}


def test_investor_flows_with_pension_funds_sum_to_zero(platform: str, instance, sim) -> None:
    assert dg.materialize([trading_calendar], instance=instance, resources=build_resources(),
                          run_config=CALENDAR_CONFIG).success
    result = _run([investor_flows], instance, DAYS)
    assert result.success
    check = _check(result, "schema_guard")  # includes the investor_nets_balance rule (nets sum to ~0)
    assert check.passed, check.metadata
    assert "investor_nets_balance" in {c.name for c in InvestorFlowSchema.to_schema().checks}
    with psycopg.connect(platform) as conn:
        n, pension, provisional = conn.execute(
            "SELECT count(*), count(pension_fund_net_krw), count(*) FILTER (WHERE is_provisional) FROM investor_flows").fetchone()
    assert n == 150 and pension == 150 and provisional == 0
