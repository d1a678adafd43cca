"""intraday_day_audit and its sensor: a whole planted day, audited clean, then with planted gaps."""

from __future__ import annotations

from datetime import date

import dagster as dg
import psycopg
import pytest

from kis_platform import calendar
from kis_platform.defs.intraday.day_audit import (
    PASS_TAG,
    REPAIR_TAG,
    audit_after_close,
    check_name,
    intraday_day_audit,
)
from kis_platform.defs.options.matrix import METRICS
from kis_platform.defs.partitions import SESSION_MINUTES, TRADING_DAYS, minute_key
from kis_platform.defs.resources import build_resources
from kis_platform.settings import get_settings

DAY, KEY = date(2026, 11, 20), "2026-11-20"  # normal session 09:00-15:30; front option months 202612, 202701
WATCH = ["000660", "005930"]
UNIVERSE = ["100010", "100020", "100030"]  # sorted: positions 0, 1, 2 = slices 0, 1, 2 of the 25-minute cycle
CLOSE_CALL = "t >= '2026-11-20 15:20+09' AND t < '2026-11-20 15:30+09'"

PLANT = [
    # watch list and universe: every minute of the stock grid (09:00-15:30 without the closing call)
    f"""INSERT INTO minute_bars (symbol, bar_start, bar_end, open, high, low, close, volume, turnover_krw, session,
            trade_date, source, fetched_at)
        SELECT s, t, t + interval '1 minute', 10000, 10000, 10000, 10000, 100, 1000000,
               CASE WHEN t = '2026-11-20 15:30+09' THEN 'krx_close_auction' ELSE 'krx_regular' END, DATE '{KEY}',
               'SIM_KIS', now()
        FROM unnest(%(stocks)s::text[]) s,
             generate_series(timestamptz '2026-11-20 09:00+09', '2026-11-20 15:30+09', interval '1 minute') t
        WHERE NOT ({CLOSE_CALL})""",
    # front-month futures 08:45-15:45 without their closing call 15:35-15:44
    f"""INSERT INTO futures_minute_bars (symbol, bar_start, bar_end, underlying, expiry, open, high, low, close, volume,
            trade_date, source, fetched_at)
        SELECT c.symbol, t, t + interval '1 minute', c.underlying, '202612', 400, 400, 400, 400, 10, DATE '{KEY}',
               'SIM_KIS', now()
        FROM (VALUES ('A01612', 'KOSPI200'), ('A06612', 'KOSDAQ150')) c(symbol, underlying),
             generate_series(timestamptz '2026-11-20 08:45+09', '2026-11-20 15:45+09', interval '1 minute') t
        WHERE NOT (t >= '2026-11-20 15:35+09' AND t < '2026-11-20 15:45+09')""",
    # one board row per minute 09:00-15:29 and expiry, and a matrix of every metric
    """INSERT INTO option_chain_snapshots (snapshot_ts, underlying, expiry, option_type, strike, option_code, source,
            fetched_at)
        SELECT t, 'KOSPI200', e, 'C', 400, 'C' || e, 'SIM_KIS', now()
        FROM unnest(ARRAY['202612', '202701']) e,
             generate_series(timestamptz '2026-11-20 09:00+09', '2026-11-20 15:29+09', interval '1 minute') t""",
    """INSERT INTO option_matrices ("timestamp", underlying_symbol, metric_type, atm_rule, source, fetched_at)
        SELECT t, e || '_KOSPI200', m, 'nearest_to_spot_v1', 'SIM_KIS', now()
        FROM unnest(ARRAY['202612', '202701']) e, unnest(%(metrics)s::text[]) m,
             generate_series(timestamptz '2026-11-20 09:00+09', '2026-11-20 15:29+09', interval '1 minute') t""",
]

GAPS = [
    "DELETE FROM minute_bars WHERE symbol = '000660' AND bar_start BETWEEN '2026-11-20 10:00+09' AND '2026-11-20 10:04+09'",
    "DELETE FROM minute_bars WHERE symbol = '005930' AND bar_start = '2026-11-20 11:00+09'",
    "DELETE FROM minute_bars WHERE symbol = '100010' AND bar_start BETWEEN '2026-11-20 10:41+09' AND '2026-11-20 11:05+09'",
    "DELETE FROM minute_bars WHERE symbol = '100020' AND bar_start = '2026-11-20 12:00+09'",
    "DELETE FROM futures_minute_bars WHERE symbol = 'A06612' AND bar_start BETWEEN '2026-11-20 15:31+09' AND '2026-11-20 15:33+09'",
    "DELETE FROM option_chain_snapshots WHERE expiry = '202701' AND snapshot_ts = '2026-11-20 13:00+09'",
    "DELETE FROM option_matrices WHERE underlying_symbol = '202612_KOSPI200' AND \"timestamp\" = '2026-11-20 14:00+09'",
]

# What the minute runs reported (only the runs the gaps touch): rows they stored in their cells.
RUNS = [
    ("minute_bars", "2026-11-20-10:00", {"dagster/row_count": 2}),  # stored both bars: one is gone now
    ("minute_bars", "2026-11-20-10:01", {"dagster/row_count": 2}),
    ("minute_bars", "2026-11-20-10:02", {"dagster/row_count": 2}),  # 10:03, 10:04 never ran
    ("minute_bars", "2026-11-20-11:00", {"dagster/row_count": 1}),  # 005930 had no trade at 11:00
    ("universe_minute_bars", "2026-11-20-11:30", {"window_start": "11:01", "bars_stored": 30}),  # 11:01-11:05 lost since
    ("universe_minute_bars", "2026-11-20-12:21", {"window_start": "11:52", "bars_stored": 29}),  # 12:00: no trade
    # the close minute owns the futures bars 15:20-15:45 (without the call 15:35-15:44): 16 per contract
    ("futures_minute_bars", "2026-11-20-15:30", {"rows_refreshed": 32, "not_yet_closed": 0}),
]


@pytest.fixture
def planted_day(platform: str, sim, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("KIS_SYMBOLS", ",".join(WATCH))
    monkeypatch.setenv("KIS_PLATFORM_CLOCK", "simulator")
    get_settings.cache_clear()
    sim.set_clock("fixed", "2026-11-20T16:05:00+09:00")
    with psycopg.connect(platform) as conn:
        for i, symbol in enumerate(UNIVERSE):
            conn.execute("INSERT INTO instrument_snapshots (day, isin, symbol, name, market, source, fetched_at) "
                         "VALUES ('2026-11-19', %s, %s, %s, 'KOSDAQ', 'SIM_KRX', now())",
                         (f"KR7{symbol}00{i}", symbol, f"종목{i}"))
        conn.execute("SELECT rebuild_instrument_history()")
        for statement in PLANT:
            conn.execute(statement, {"stocks": WATCH + UNIVERSE, "metrics": METRICS})
    instance.add_dynamic_partitions(TRADING_DAYS.name, [KEY])
    instance.add_dynamic_partitions(SESSION_MINUTES.name, [minute_key(m) for m in calendar.minute_grid(DAY)])
    yield platform
    sim.set_clock("real")
    get_settings.cache_clear()


def _audit(instance: dg.DagsterInstance, **tags: str) -> dg.ExecuteInJobResult:
    result = dg.materialize([intraday_day_audit], instance=instance, resources=build_resources(), partition_key=KEY,
                            tags=tags)
    assert result.success
    return result


def _checks(result: dg.ExecuteInJobResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def _ledger(dsn: str) -> dict[tuple[str, str], tuple]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT dataset, symbol, expected_rows, present_rows, reason, details FROM completeness "
                            "WHERE trade_date = %s", (DAY,)).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def _sensor(instance: dg.DagsterInstance) -> dg.SensorExecutionData:
    from dagster._core.definitions.partitions.context import partition_loading_context

    from kis_platform.definitions import defs

    context = dg.build_sensor_context(instance=instance, repository_def=defs.get_repository_def())
    with partition_loading_context(dynamic_partitions_store=instance):
        return audit_after_close.evaluate_tick(context)


def test_a_clean_day_is_complete_and_planted_gaps_are_reported(planted_day: str, instance) -> None:
    (request,) = _sensor(instance).run_requests  # 16:05: half an hour after the close
    assert (request.partition_key, request.run_key, request.tags[PASS_TAG]) == (KEY, f"day-audit-{KEY}", "before_repair")

    clean = _audit(instance)
    assert all(e.passed for e in _checks(clean).values()) and len(_checks(clean)) == 5
    ledger = _ledger(planted_day)
    assert {ds: ledger[(ds, "*")][:3] for ds in ("minute_bars", "universe_minute_bars", "futures_minute_bars",
                                                  "option_chain_snapshots", "option_matrices")} == {
        "minute_bars": (762, 762, "COMPLETE"), "universe_minute_bars": (1143, 1143, "COMPLETE"),
        "futures_minute_bars": (822, 822, "COMPLETE"), "option_chain_snapshots": (780, 780, "COMPLETE"),
        "option_matrices": (780, 780, "COMPLETE")}

    with psycopg.connect(planted_day) as conn:
        for statement in GAPS:
            conn.execute(statement)
    for asset, partition, metadata in RUNS:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition=partition, metadata=metadata))

    first = _audit(instance, **{PASS_TAG: "before_repair"})
    checks = _checks(first)
    assert not any(e.passed for e in checks.values())
    assert {e.severity for e in checks.values()} == {dg.AssetCheckSeverity.WARN}  # repair comes first
    assert checks[check_name("option_chain_snapshots")].metadata["missing"].value == "202701_KOSPI200 13:00"
    ledger = _ledger(planted_day)
    assert ledger[("minute_bars", "000660")] == (381, 376, "MISSING", {
        "code": "pending", "unexplained_minutes": 5, "no_trade_minutes": 0,
        "first_missing": ["10:00", "10:01", "10:02", "10:03", "10:04"]})
    assert ledger[("minute_bars", "005930")][1:3] == (380, "NO_TRADES")
    assert ledger[("universe_minute_bars", "100010")][3]["unexplained_minutes"] == 25  # 10:41-11:05
    assert ledger[("universe_minute_bars", "100020")][2] == "NO_TRADES"
    assert ledger[("futures_minute_bars", "A06612")][2:3] == ("MISSING",)
    assert ledger[("option_chain_snapshots", "202701_KOSPI200")][2] == "BEYOND_RETENTION"
    repairs = first.get_asset_materialization_events()[0].materialization.metadata["repair_requests"].value
    assert repairs == {"minute_bars": ["2026-11-20-10:00", "2026-11-20-10:01", "2026-11-20-10:02"],
                       "universe_minute_bars": ["2026-11-20-11:05"], "futures_minute_bars": ["2026-11-20-15:30"],
                       "option_matrices": ["2026-11-20-14:00"]}

    requested = _sensor(instance).run_requests  # the first audit ran: rerun what fills its gaps
    assert {(r.job_name, r.partition_key, tuple(k.to_user_string() for k in r.asset_selection)) for r in requested} == {
        ("intraday_minute_job", k, (asset,)) for asset, keys in repairs.items() for k in keys}

    final = _checks(_audit(instance))  # after repair (or from the UI): still missing is an ERROR
    assert checks[check_name("option_chain_snapshots")].severity == dg.AssetCheckSeverity.WARN
    assert final[check_name("universe_minute_bars")].severity == dg.AssetCheckSeverity.ERROR
    assert not final[check_name("universe_minute_bars")].passed


def test_an_earlier_days_audit_waits_for_the_close_of_todays_session(planted_day: str, sim, instance) -> None:
    """Friday's audit found gaps; on Monday its repair runs are held from 08:50 until after Monday's close, so
    they take neither the run slots nor the request budget of the live minutes (bench session --load: 59 such
    runs queued at 09:13 on a fresh database)."""
    with psycopg.connect(planted_day) as conn:
        for statement in GAPS:
            conn.execute(statement)
    for asset, partition, metadata in RUNS:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset, partition=partition, metadata=metadata))
    _audit(instance, **{PASS_TAG: "before_repair"})

    sim.set_clock("fixed", "2026-11-23T08:30:00+09:00")  # Monday before the open: Friday's repairs may run
    assert {r.tags[REPAIR_TAG] for r in _sensor(instance).run_requests} == {KEY}
    for moment in ("2026-11-23T08:50:00+09:00", "2026-11-23T10:00:00+09:00", "2026-11-23T15:59:00+09:00"):
        sim.set_clock("fixed", moment)
        tick = _sensor(instance)
        assert not tick.run_requests and "after the close" in (tick.skip_message or ""), moment
    sim.set_clock("fixed", "2026-11-23T16:05:00+09:00")  # after it: Friday's repairs (Monday is not registered here)
    tick = _sensor(instance)
    assert len(tick.run_requests) == 6 and {r.tags[REPAIR_TAG] for r in tick.run_requests} == {KEY}
