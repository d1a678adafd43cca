"""The Dagster side of operations: backup asset + restore check, export job, hygiene job, run for real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import psycopg
import pytest

from kis_platform.defs.export.job import backtest_export
from kis_platform.defs.ops import defs as ops_defs
from kis_platform.defs.ops.backup import BackupStore, market_db_backup, restore_verified
from kis_platform.defs.ops.hygiene import instance_hygiene
from kis_platform.settings import get_settings
from kis_platform_tests.export.test_export import SEED


@pytest.fixture
def platform_db(market_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The seeded test database as the platform's DATABASE_URL, as a run worker would see it."""
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute(SEED)
    monkeypatch.setenv("DATABASE_URL", market_db)
    monkeypatch.setenv("KIS_PLATFORM_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    yield market_db
    get_settings.cache_clear()


def test_backup_asset_and_restore_check(platform_db: str, tmp_path: Path) -> None:
    store = BackupStore(backup_dir=str(tmp_path / "dumps"))
    result = dg.materialize([market_db_backup, restore_verified], resources={"backup_store": store})
    assert result.success
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    with psycopg.connect(platform_db) as conn:
        migrations = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    assert meta["total_rows"].value == 54 + 4 + 2 + 1 + migrations and Path(meta["path"].value).exists()
    check = result.get_asset_check_evaluations()[0]
    assert check.passed and check.metadata["mismatches"].value == []


def test_backup_jobs_and_schedules_are_defined() -> None:
    assert {s.name for s in ops_defs.schedules} >= {"market_db_backup_job_schedule", "backup_verify_job_schedule",
                                                       "instance_hygiene_schedule"}
    assert all(s.execution_timezone == "Asia/Seoul" for s in ops_defs.schedules)
    assert ops_defs.resolve_job_def("backup_verify_job") is not None


def test_export_job_from_config(platform_db: str, tmp_path: Path) -> None:
    out = tmp_path / "export"
    config = {"ops": {"export_backtest_data": {"config": {
        "market": "KOSPI", "date_from": "2026-01-02", "date_to": "2026-01-09", "datasets": ["daily_bars"],
        "output_path": str(out)}}}}
    with dg.instance_for_test() as instance:
        result = backtest_export.execute_in_process(run_config=config, instance=instance)
        logs = [e.user_message for e in instance.all_logs(result.run_id)]
    assert result.success
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["files"][0]["rows"] == 18 + 9  # 005930: 6 days x 3 rows; 247540 (KOSPI from 01-07): 3 days x 3
    assert any("daily_bars: 27 rows written" in m for m in logs), logs
    output = next(e for e in result.all_events if e.event_type_value == "STEP_OUTPUT")
    metadata = output.event_specific_data.metadata  # type: ignore[union-attr]
    assert metadata["total_rows"].value == 27 and metadata["contains_simulated_data"].value is True
    assert manifest["files"][0]["sha256"] in metadata["files"].value


def test_hygiene_job_runs() -> None:
    with dg.instance_for_test() as instance:
        result = instance_hygiene.execute_in_process(instance=instance)
    assert result.success and result.output_for_node("prune_dagster_instance")["events_deleted"] == 0
