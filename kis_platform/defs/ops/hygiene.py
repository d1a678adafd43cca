"""`instance_hygiene`: nightly pruning of Dagster's own storage so the UI stays fast after a year of minute runs.

Removes event-log chatter (step and engine events, captured-log notices, plain log lines) older than
`event_days` and compute-log files older than `log_days`; keeps every asset event, check result and run status,
so materialization history and partition status never change (see kis_platform/ops/hygiene.py for why and how).
"""

# No `from __future__ import annotations`: Dagster reads the op signature (context, Config class) at import time.
import dagster as dg

from kis_platform.ops.hygiene import prune_instance


class HygieneConfig(dg.Config):
    event_days: int = 30
    log_days: int = 7


@dg.op(description="Prune old non-asset event-log rows and old compute-log files of this Dagster instance.")
def prune_dagster_instance(context: dg.OpExecutionContext, config: HygieneConfig) -> dg.Output[dict]:
    report = prune_instance(context.instance, config.event_days, config.log_days)
    context.log.info(f"deleted {report.events_deleted:,} event-log rows older than {report.cutoff_events} and "
                     f"{report.log_files_deleted:,} compute-log files ({report.log_bytes_freed / 1e6:.1f} MB) "
                     f"older than {report.cutoff_logs}")
    summary = {"events_deleted": report.events_deleted, "log_files_deleted": report.log_files_deleted,
               "log_bytes_freed": report.log_bytes_freed}
    return dg.Output(summary, metadata={**summary, "events_cutoff": report.cutoff_events,
                                        "logs_cutoff": report.cutoff_logs})


@dg.job(description="Prune Dagster's event log and compute logs without touching asset history.")
def instance_hygiene() -> None:
    prune_dagster_instance()


instance_hygiene_schedule = dg.ScheduleDefinition(
    job=instance_hygiene, cron_schedule="15 4 * * *", execution_timezone="Asia/Seoul",
    default_status=dg.DefaultScheduleStatus.RUNNING)
