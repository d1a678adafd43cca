"""Run retries that Dagster's retry daemon never launched.

Dagster 1.13 stores a run's failure event first and writes the run's status after it (`DagsterInstance`
event methods); its retry daemon reads new failure events every 5 s, skips a run whose status still says STARTED,
and moves its cursor on: that failure is never retried. `kis-platform bench faults` hit this once in about ten
retried failures on a loaded machine (docs/reliability.md). This sensor re-requests the partition of a failed
daily run that Dagster marked to be retried (`dagster/will_retry=true`) and that still has no retry a minute
later. Minute runs are left to repair_missed_minutes.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

import dagster as dg

from kis_platform.defs.daily.schedules import daily_kis_job, daily_krx_job

GRACE = timedelta(minutes=1)  # the retry daemon acts within seconds when it does act
LOOK_BACK = timedelta(days=1)
RESCUABLE = [daily_kis_job, daily_krx_job]


def stranded_failures(instance: dg.DagsterInstance, job_names: Iterable[str], now: datetime) -> list[dg.DagsterRun]:
    """Failed runs of `job_names` that were to be retried and were not, ended between a day and a minute ago."""
    runs = instance.get_runs(dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.FAILURE], tags={"dagster/will_retry": "true"},
        updated_after=now - LOOK_BACK, updated_before=now - GRACE), limit=200)
    names = set(job_names)
    # Runs of a backfill are the backfill's to retry (Dagster stops retrying them when the backfill ends).
    return [r for r in runs if r.job_name in names and "dagster/auto_retry_run_id" not in r.tags
            and "dagster/backfill" not in r.tags]


def rescue_requests(instance: dg.DagsterInstance, job_names: Iterable[str], now: datetime) -> list[dg.RunRequest]:
    # The run key makes each rescue happen once, however many ticks still see the failed run.
    return [dg.RunRequest(job_name=run.job_name, partition_key=run.tags.get("dagster/partition"),
                          run_key=f"rescue-{run.run_id}", run_config=run.run_config,
                          tags={"kis_platform/trigger": "retry-rescue", "kis_platform/rescues": run.run_id})
            for run in stranded_failures(instance, job_names, now)]


@dg.sensor(jobs=RESCUABLE, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def rescue_stranded_retries(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Reruns the partition of a failed daily run whose automatic retry Dagster never launched."""
    requests = rescue_requests(context.instance, [j.name for j in RESCUABLE], datetime.now(UTC))
    if not requests:
        return dg.SkipReason("no failed run is waiting for a retry that never came")
    return dg.SensorResult(run_requests=requests)
