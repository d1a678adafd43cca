"""Instance hygiene on a real Postgres-backed Dagster instance: chatter goes, asset history stays."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.partition_status_cache import get_and_update_asset_status_cache_value

from kis_platform.ops.hygiene import prune_compute_logs, prune_instance
from kis_platform.storage.database import dagster_storage_url
from kis_platform_tests.conftest import PgServer

DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", timezone="Asia/Seoul")
KEY = dg.AssetKey("bars")


@dg.asset(partitions_def=DAYS)
def bars(context) -> None:  # noqa: ANN001 - dagster validates the hint at import time
    context.log.info("fetching %s", context.partition_key)
    if context.partition_key == "2026-01-03":
        raise RuntimeError("source down")


@dg.asset_check(asset=bars)
def bars_ok() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True)


@pytest.fixture
def instance(pg_server: PgServer, tmp_path: Path) -> Iterator[dg.DagsterInstance]:
    dsn = pg_server.create_db()
    overrides = {"storage": {"postgres": {"postgres_url": dagster_storage_url(dsn)}},
                 "compute_logs": {"module": "dagster.core.storage.local_compute_log_manager",
                                  "class": "LocalComputeLogManager", "config": {"base_dir": str(tmp_path / "logs")}}}
    with dg.instance_for_test(overrides=overrides, temp_dir=str(tmp_path)) as inst:
        yield inst
    pg_server.drop_db(dsn)


def _history(instance: dg.DagsterInstance) -> dict[str, object]:
    instance.wipe_asset_cached_status([KEY])  # rebuilt from the events that remain
    cache = get_and_update_asset_status_cache_value(instance, KEY, DAYS)
    assert cache is not None
    checks = instance.event_log_storage.get_asset_check_execution_history(
        dg.AssetCheckKey(KEY, "bars_ok"), limit=100)
    return {
        "materialized": sorted(cache.deserialize_materialized_partition_subsets(DAYS).get_partition_keys()),
        "failed": sorted(cache.deserialize_failed_partition_subsets(DAYS).get_partition_keys()),
        "materializations": [(r.partition_key, r.run_id) for r in instance.fetch_materializations(KEY, limit=100).records],
        "latest": instance.get_latest_materialization_event(KEY).run_id,  # type: ignore[union-attr]
        "checks": sorted((c.run_id, c.status.value) for c in checks),
        "runs": sorted((r.run_id, r.status.value) for r in instance.get_runs()),
    }


def _event_types(instance: dg.DagsterInstance) -> dict[str | None, int]:
    with instance.event_log_storage.index_connection() as conn:  # type: ignore[attr-defined]
        rows = conn.exec_driver_sql("SELECT dagster_event_type, count(*) FROM event_logs GROUP BY 1").fetchall()
    return {r[0]: r[1] for r in rows}


def test_prune_keeps_materialization_history(instance: dg.DagsterInstance) -> None:
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        dg.materialize([bars, bars_ok], partition_key=day, instance=instance, raise_on_error=False)
    before, types_before = _history(instance), _event_types(instance)
    assert before["materialized"] == ["2026-01-01", "2026-01-02"] and before["failed"] == ["2026-01-03"]
    assert types_before["STEP_START"] == 5 and types_before.get(None, 0) >= 3  # context.log lines

    # Nothing is old yet: a prune with the real clock removes nothing.
    assert prune_instance(instance, event_days=30).events_deleted == 0
    report = prune_instance(instance, event_days=30, log_days=7, now=dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=31))

    types_after = _event_types(instance)
    pruned = sum(types_before.values()) - sum(types_after.values())
    assert report.events_deleted == pruned > 0
    assert not {"STEP_START", "STEP_SUCCESS", "ENGINE_EVENT", "LOGS_CAPTURED", None} & set(types_after)
    for kept in ("ASSET_MATERIALIZATION", "ASSET_MATERIALIZATION_PLANNED", "ASSET_CHECK_EVALUATION",
                 "PIPELINE_SUCCESS", "PIPELINE_FAILURE", "PIPELINE_START", "STEP_FAILURE"):
        assert types_after[kept] == types_before[kept], kept
    assert _history(instance) == before


def test_compute_logs_only_old_files_and_only_compute_logs(tmp_path: Path) -> None:
    now = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    old, new = (now - dt.timedelta(days=10)).timestamp(), (now - dt.timedelta(days=1)).timestamp()
    files = {"run_a/compute_logs/step.out": old, "run_a/compute_logs/step.err": old,
             "run_b/compute_logs/step.out": new, "bars/2026-01-01": old}  # the last one: an IO manager's value
    for name, stamp in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x" * 10)
        os.utime(path, (stamp, stamp))
    assert prune_compute_logs(tmp_path, now - dt.timedelta(days=7)) == (2, 20)
    assert not (tmp_path / "run_a").exists()
    assert (tmp_path / "run_b/compute_logs/step.out").exists() and (tmp_path / "bars/2026-01-01").exists()
