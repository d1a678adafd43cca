"""Operations: the nightly market-database backup with its restore check, Dagster instance hygiene, and the
rescue of run retries Dagster never launched."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.ops.backup import BackupStore, backup_schedules, market_db_backup, restore_verified
from kis_platform.defs.ops.backup import backup_job, verify_job
from kis_platform.defs.ops.hygiene import instance_hygiene, instance_hygiene_schedule
from kis_platform.defs.ops.retry_rescue import rescue_stranded_retries

defs = dg.Definitions(
    assets=[market_db_backup],
    asset_checks=[restore_verified],
    jobs=[backup_job, verify_job, instance_hygiene],
    schedules=[*backup_schedules, instance_hygiene_schedule],
    sensors=[rescue_stranded_retries],
    resources={"backup_store": BackupStore()},
)
