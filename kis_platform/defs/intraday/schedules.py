"""Triggers of the minute job: every minute of the session, and a sensor that repairs missed minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from kis_platform import calendar, clock
from kis_platform.calendar import KST
from kis_platform.defs.intraday.jobs import intraday_minute_job
from kis_platform.defs.partitions import MINUTE_FORMAT, SESSION_MINUTES, minute_key
from kis_platform.settings import get_settings

REPAIRABLE = [dg.AssetKey("minute_bars")]
FUTURES = [dg.AssetKey("futures_minute_bars")]
REPAIR_BATCH = 10  # minutes requested per sensor tick: repairs share the rate budget with the live minute


def closed_minute(at: datetime) -> str:
    """Key of the bar that closed at tick time `at` (the schedule fires on the minute)."""
    return minute_key(at.astimezone(KST).replace(second=0, microsecond=0) - timedelta(minutes=1))


@dg.schedule(
    job=intraday_minute_job,
    # 09:01 … 16:31 covers normal days (last bar 15:30) and CSAT days (16:30); non-session minutes skip.
    cron_schedule="* 9-16 * * 1-5",
    execution_timezone="Asia/Seoul",
    default_status=dg.DefaultScheduleStatus.RUNNING,
)
def every_session_minute(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """Materializes the minute that just closed, a few seconds after it closes (the run waits for the bar plus
    KIS_MINUTE_BUFFER_S before fetching)."""
    if get_settings().clock == "simulator":
        return dg.SkipReason("the platform follows the simulator's clock: every_simulated_minute triggers minutes")
    tick = context.scheduled_execution_time.astimezone(KST)
    after_close = _after_close_request(context.instance, tick)
    if after_close is not None:
        return after_close
    key = closed_minute(tick)
    if not context.instance.has_dynamic_partition(SESSION_MINUTES.name, key):
        return dg.SkipReason(f"{key} is not a session minute")
    return dg.RunRequest(partition_key=key, run_key=key)


def _after_close_request(instance: dg.DagsterInstance, tick: datetime) -> dg.RunRequest | None:
    """Index futures trade until 15 minutes after the stock close: 16 minutes after the close, the close
    minute's partition fetches the futures bars of those minutes (the 15:30 partition owns 15:31–15:45)."""
    if not calendar.is_session(tick.date()):
        return None
    close = calendar.session_bounds(tick.date())[1]
    if tick.replace(second=0, microsecond=0) != close + timedelta(minutes=16):
        return None
    key = minute_key(close)
    if not instance.has_dynamic_partition(SESSION_MINUTES.name, key):
        return None
    return dg.RunRequest(partition_key=key, run_key=f"{key}-after-close", asset_selection=FUTURES,
                         tags={"kis_platform/trigger": "after-close"})


@dg.sensor(job=intraday_minute_job, minimum_interval_seconds=1, default_status=dg.DefaultSensorStatus.RUNNING)
def every_simulated_minute(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """With KIS_PLATFORM_CLOCK=simulator, the cron schedule (system clock) cannot see the simulated session:
    this sensor asks the platform clock instead and requests the minute that just closed (same run key as the
    schedule would use, so a minute is never requested twice). Idle on the system clock."""
    settings = get_settings()
    if settings.clock != "simulator":
        return dg.SkipReason("the platform follows the system clock: the every_session_minute schedule triggers minutes")
    key = closed_minute(clock.now(settings))
    if not context.instance.has_dynamic_partition(SESSION_MINUTES.name, key):
        return dg.SkipReason(f"{key} is not a session minute")
    return dg.RunRequest(partition_key=key, run_key=key)


def missing_minutes(instance: dg.DagsterInstance, now: datetime) -> list[str]:
    """Registered minutes since collection started (the first minute ever materialized: older history is a
    deliberate backfill, not a gap) that closed more than two minutes ago and have no minute_bars
    materialization. Today's first (newest first), then older days oldest first: those are closest to leaving
    the source's one-year window."""
    done = instance.get_materialized_partitions(dg.AssetKey("minute_bars"))
    if not done:
        return []
    first, horizon = min(done), minute_key(now - timedelta(minutes=3))
    keys = [k for k in instance.get_dynamic_partitions(SESSION_MINUTES.name)
            if first <= k <= horizon and k not in done]
    in_flight = {r.tags.get("dagster/partition") for r in instance.get_runs(
        dg.RunsFilter(job_name=intraday_minute_job.name,
                      statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]))}
    keys = [k for k in keys if k not in in_flight]
    today = now.astimezone(KST).strftime(MINUTE_FORMAT)[:10]
    return sorted((k for k in keys if k.startswith(today)), reverse=True) + sorted(k for k in keys if not k.startswith(today))


@dg.sensor(job=intraday_minute_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def repair_missed_minutes(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Finds session minutes without a successful minute_bars materialization (the daemon was down, a run
    failed, the source was late) and runs them again: today's through FHKST03010200, earlier days through
    FHKST03010230. Option-board snapshots cannot be refetched; their misses stay visible as failures."""
    now = clock.now(get_settings())
    keys = missing_minutes(context.instance, now)[:REPAIR_BATCH]
    if not keys:
        return dg.SkipReason("no missed minutes")
    stamp = now.strftime("%Y%m%d%H%M")  # run keys are permanent: a new stamp lets a failed repair be retried
    return dg.SensorResult(run_requests=[
        # refetchable assets only: an option-board snapshot of a past minute cannot be fetched again
        dg.RunRequest(partition_key=k, run_key=f"repair-{k}-{stamp}", tags={"kis_platform/trigger": "repair"},
                      asset_selection=REPAIRABLE)
        for k in keys])
