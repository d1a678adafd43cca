"""A real Dagster materialization of a guarded asset writing through the real writer into the market database:
bad rows never reach the table, the failed check is recorded, the mirror sensor files the issue and tags the run."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg
import pandas as pd
import psycopg

from kis_platform.defs.quality.sensors import build_quality_mirror_sensor
from kis_platform.quality.guard import SCHEMA_CHECK, guarded_write, schema_check_spec
from kis_platform.quality.issues import QUALITY_TAG
from kis_platform.schemas import MinuteBarSchema, OptionChainSnapshotSchema
from kis_platform.storage.writer import get_writer
from kis_platform_tests.quality import frames as F

DAYS = dg.StaticPartitionsDefinition(["2025-03-04"])
WINDOW = (pd.Timestamp("2025-03-04", tz="Asia/Seoul"), pd.Timestamp("2025-03-05", tz="Asia/Seoul"))


def _asset(name: str, df: pd.DataFrame, model: type, dsn: str, write: Callable[[pd.DataFrame], int],
           drop_invalid: bool = False, partitioned_check: bool = False) -> dg.AssetsDefinition:
    spec = schema_check_spec(name, DAYS if partitioned_check else None)

    @dg.asset(name=name, partitions_def=DAYS, check_specs=[spec])
    def _a(context):
        yield from guarded_write(context, df, model, write, dsn=dsn, drop_invalid=drop_invalid)

    return _a


def _minutes(dsn: str, df: pd.DataFrame, partitioned_check: bool = False) -> dg.AssetsDefinition:
    return _asset("minute_bars", df, MinuteBarSchema, dsn,
                  lambda ok: get_writer(dsn).replace_window("minute_bars", ok, "bar_start", *WINDOW),
                  partitioned_check=partitioned_check)


def _count(dsn: str, sql: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute(sql).fetchone()[0]


def test_bad_rows_never_reach_the_table(market_db: str, instance: dg.DagsterInstance) -> None:
    bad = F.high_below_low(F.off_grid_price(F.minute_bars(), [3]), [5, 7])
    result = dg.materialize([_minutes(market_db, bad)], instance=instance, partition_key="2025-03-04",
                            raise_on_error=False)
    assert not result.success
    assert result.get_asset_materialization_events() == []
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == SCHEMA_CHECK and not evaluation.passed
    assert evaluation.metadata["num_failing_rows"].value == 3
    assert evaluation.metadata["failures_by_rule"].value == {"high_ge_low": 2, "ohlc_within_range": 2,
                                                             "price_on_tick_grid": 1}
    assert _count(market_db, "SELECT count(*) FROM minute_bars") == 0
    with psycopg.connect(market_db) as conn:
        issues = conn.execute("SELECT rule, severity, symbol, trade_date::text, (details->>'failing_rows')::int, run_id "
                              "FROM data_quality_issues ORDER BY rule").fetchall()
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in issues] == [
        ("high_ge_low", "ERROR", "005930", "2025-03-04", 2), ("ohlc_within_range", "ERROR", "005930", "2025-03-04", 2),
        ("price_on_tick_grid", "ERROR", "005930", "2025-03-04", 1)]
    assert {r[5] for r in issues} == {result.run_id}

    # the mirror sensor files the failed check itself and marks the run FAILED
    sensor = build_quality_mirror_sensor(lambda: market_db)
    tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert int(tick.cursor) > 0
    assert instance.get_run_by_id(result.run_id).tags[QUALITY_TAG] == "FAILED"
    with psycopg.connect(market_db) as conn:
        mirrored = conn.execute("SELECT asset, partition_key, severity, details->>'num_failing_rows' FROM "
                                "data_quality_issues WHERE rule = %s", (SCHEMA_CHECK,)).fetchall()
    assert mirrored == [("minute_bars", "2025-03-04", "ERROR", "3")]
    # a second tick from the saved cursor finds nothing new; from scratch it does not insert twice
    assert sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=tick.cursor)).skip_message
    sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert _count(market_db, f"SELECT count(*) FROM data_quality_issues WHERE rule = '{SCHEMA_CHECK}'") == 1


def test_clean_rows_are_written_and_the_run_is_ok(market_db: str, instance: dg.DagsterInstance) -> None:
    result = dg.materialize([_minutes(market_db, F.minute_bars(), partitioned_check=True)], instance=instance,
                            partition_key="2025-03-04")
    assert result.success
    [mat] = result.get_asset_materialization_events()
    assert mat.materialization.metadata["rows_written"].value == 60
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.passed and evaluation.partition == "2025-03-04"
    assert _count(market_db, "SELECT count(*) FROM minute_bars") == 60
    build_quality_mirror_sensor(lambda: market_db).evaluate_tick(dg.build_sensor_context(instance=instance))
    assert instance.get_run_by_id(result.run_id).tags[QUALITY_TAG] == "OK"
    assert _count(market_db, "SELECT count(*) FROM data_quality_issues") == 0


def test_snapshots_keep_valid_rows_and_the_run_is_partial(market_db: str, instance: dg.DagsterInstance) -> None:
    chain = F.nonsense_greeks(F.option_chain(), [0])
    keys = ["snapshot_ts", "underlying", "expiry", "option_type", "strike"]
    asset = _asset("option_chain_snapshots", chain, OptionChainSnapshotSchema, market_db,
                   lambda ok: get_writer(market_db).upsert("option_chain_snapshots", ok, keys), drop_invalid=True)
    result = dg.materialize([asset], instance=instance, partition_key="2025-03-04")
    assert result.success
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    assert _count(market_db, "SELECT count(*) FROM option_chain_snapshots") == 5
    assert _count(market_db, "SELECT count(*) FROM option_chain_snapshots WHERE delta > 1 OR gamma < 0") == 0
    build_quality_mirror_sensor(lambda: market_db).evaluate_tick(dg.build_sensor_context(instance=instance))
    assert instance.get_run_by_id(result.run_id).tags[QUALITY_TAG] == "PARTIAL"


def test_the_mirror_sensor_is_in_the_code_location() -> None:
    from kis_platform.definitions import defs

    sensor = defs.resolve_sensor_def("quality_issue_mirror")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
