"""`market_db_backup`: last night's compressed dump of the market database, and `restore_verified`: proof it restores.

Materializing the asset dumps the database (pg_dump, custom format) into the backup folder and keeps the last
7 days. The check restores the newest dump into a scratch database and compares every table's row count with
the counts taken from the same snapshot as the dump; it fails (ERROR) if any table differs. Both run nightly
(02:30 and 03:30 KST) and can be launched from the UI.
"""

# No `from __future__ import annotations`: Dagster reads asset/check signatures (context, resources) at import time.
from pathlib import Path

import dagster as dg

from kis_platform.ops.backup import backup
from kis_platform.ops.verify import VerifyReport, verify_latest


class BackupStore(dg.ConfigurableResource):
    """Where dumps go and how long they stay."""

    backup_dir: str = ""  # empty: $KIS_PLATFORM_HOME/backups
    keep_days: int = 7

    def folder(self) -> Path:
        from kis_platform.settings import get_settings

        return Path(self.backup_dir).expanduser() if self.backup_dir else get_settings().home / "backups"


def _dsn() -> str:
    from kis_platform.storage.database import market_dsn

    return market_dsn()


def _counts_md(rows: list[tuple]) -> str:
    lines = ["| table | " + " | ".join(rows[0][1:]) + " |", "|---|" + "---:|" * (len(rows[0]) - 1)]
    return "\n".join(lines + ["| " + " | ".join(str(v) for v in r) + " |" for r in rows[1:]])


@dg.asset(group_name="ops", kinds={"postgres"}, tags={"kis_platform/lane": "bulk"},
          description="Newest compressed dump (pg_dump -Fc) of the market database; the last 7 days are kept.")
def market_db_backup(context: dg.AssetExecutionContext, backup_store: BackupStore) -> dg.MaterializeResult:
    result = backup(_dsn(), backup_store.folder(), backup_store.keep_days)
    context.log.info(f"dumped {sum(result.counts.values()):,} rows of {len(result.counts)} tables to {result.path} "
                     f"({result.bytes / 1e6:.1f} MB in {result.seconds:.1f} s); removed {len(result.removed)} old dump(s)")
    table = [("table", "rows")] + [(k, f"{v:,}") for k, v in result.counts.items()]
    return dg.MaterializeResult(metadata={
        "path": dg.MetadataValue.path(str(result.path)), "bytes": result.bytes, "seconds": result.seconds,
        "total_rows": sum(result.counts.values()), "tables": dg.MetadataValue.md(_counts_md(table)),
        "removed": [p.name for p in result.removed],
    })


def _report_metadata(report: VerifyReport) -> dict:
    rows = [("table", "at backup", "restored", "live now", "result")] + [
        (t.table, t.at_backup, t.restored, t.live_now, "ok" if t.ok else "MISMATCH") for t in report.tables]
    return {"dump": report.dump.name, "seconds": report.seconds, "tables_checked": len(report.tables),
            "mismatches": [t.table for t in report.mismatches], "tables": dg.MetadataValue.md(_counts_md(rows))}


@dg.asset_check(asset=market_db_backup, name="restore_verified",
                description="The newest dump restores into a scratch database with every table's row count intact.")
def restore_verified(context: dg.AssetCheckExecutionContext, backup_store: BackupStore) -> dg.AssetCheckResult:
    report = verify_latest(_dsn(), backup_store.folder())
    for line in report.lines()[:1]:
        context.log.info(line)
    return dg.AssetCheckResult(passed=report.passed, severity=dg.AssetCheckSeverity.ERROR,
                               metadata=_report_metadata(report))


backup_job = dg.define_asset_job("market_db_backup_job", selection=dg.AssetSelection.assets(market_db_backup).without_checks(),
                                 description="Dump the market database (pg_dump) and prune dumps older than 7 days.")
verify_job = dg.define_asset_job("backup_verify_job", selection=dg.AssetSelection.checks(restore_verified),
                                 description="Restore the newest dump into a scratch database and compare row counts.")
backup_schedules = [
    dg.ScheduleDefinition(job=backup_job, cron_schedule="30 2 * * *", execution_timezone="Asia/Seoul",
                          default_status=dg.DefaultScheduleStatus.RUNNING),
    dg.ScheduleDefinition(job=verify_job, cron_schedule="30 3 * * *", execution_timezone="Asia/Seoul",
                          default_status=dg.DefaultScheduleStatus.RUNNING),
]
