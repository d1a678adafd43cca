"""Operations: the nightly market-database backup with its restore check, and Dagster instance hygiene."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.ops.backup import BackupStore, backup_schedules, market_db_backup, restore_verified
from kis_platform.defs.ops.backup import backup_job, verify_job
from kis_platform.defs.ops.hygiene import instance_hygiene, instance_hygiene_schedule

defs = dg.Definitions(
    assets=[market_db_backup],
    asset_checks=[restore_verified],
    jobs=[backup_job, verify_job, instance_hygiene],
    schedules=[*backup_schedules, instance_hygiene_schedule],
    resources={"backup_store": BackupStore()},
)
