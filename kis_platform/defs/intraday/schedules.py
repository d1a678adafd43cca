"""Triggers of the minute job: a sensor that launches every session minute's run ahead of the bar's close (a
cron schedule fires on the minute, and the run's start-up would then count against the latency), and a sensor
that repairs missed minutes."""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from kis_platform import calendar, clock
from kis_platform.calendar import KST
from kis_platform.defs.intraday.jobs import intraday_minute_job
from kis_platform.defs.intraday.keys import FUTURES_MINUTE_BARS, MINUTE_BARS
from kis_platform.defs.partitions import MINUTE_FORMAT, SESSION_MINUTES, minute_key
from kis_platform.settings import get_settings

REPAIRABLE = [MINUTE_BARS, FUTURES_MINUTE_BARS, dg.AssetKey("universe_minute_bars")]
FUTURES = [FUTURES_MINUTE_BARS]
REPAIR_BATCH = 10  # minutes requested per sensor tick: repairs share the rate budget with the live minute
MINUTE = timedelta(minutes=1)
AFTER_CLOSE_WINDOW = timedelta(minutes=10)  # a daemon that was down a little while still collects the futures tail
LIVE_SENSOR = "every_session_minute"
MAX_LEAD_S = 180.0


def due_minutes(now: datetime, lead_s: float) -> list[datetime]:
    """Starts of the bars to request at `now`: the one that just closed, and each later one whose close is at
    most `lead_s` away (its run starts early and waits for the close; on an accelerated clock the lead can span
    more than a minute)."""
    forming = now.astimezone(KST).replace(second=0, microsecond=0)
    due, bar = [forming - MINUTE], forming
    while (bar + MINUTE - now).total_seconds() <= lead_s:
        due.append(bar)
        bar += MINUTE
    return due


def minute_requests(instance: dg.DagsterInstance, now: datetime, lead_s: float) -> list[dg.RunRequest]:
    """Run requests of the minute job at `now` (run key = minute, so each minute is requested once)."""
    requests = [dg.RunRequest(partition_key=key, run_key=key)
                for key in (minute_key(m) for m in due_minutes(now, lead_s))
                if instance.has_dynamic_partition(SESSION_MINUTES.name, key)]
    after_close = _after_close_request(instance, now)
    return requests + ([after_close] if after_close else [])


def _after_close_request(instance: dg.DagsterInstance, now: datetime) -> dg.RunRequest | None:
    """Index futures trade until 15 minutes after the stock close: from 16 minutes after the close, the close
    minute's partition fetches the futures bars of those minutes (the 15:30 partition owns 15:31–15:45)."""
    now = now.astimezone(KST)
    if not calendar.is_session(now.date()):
        return None
    tail_from = calendar.session_bounds(now.date())[1] + timedelta(minutes=16)
    if not tail_from <= now < tail_from + AFTER_CLOSE_WINDOW:
        return None
    key = minute_key(tail_from - timedelta(minutes=16))
    if not instance.has_dynamic_partition(SESSION_MINUTES.name, key):
        return None
    return dg.RunRequest(partition_key=key, run_key=f"{key}-after-close", asset_selection=FUTURES,
                         tags={"kis_platform/trigger": "after-close"})


@dg.sensor(name=LIVE_SENSOR, job=intraday_minute_job, minimum_interval_seconds=1,
           default_status=dg.DefaultSensorStatus.RUNNING)
def every_session_minute(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Materializes each session minute: the run is launched KIS_MINUTE_PRELAUNCH_S (25 s) before the bar
    closes, so that the run process has started by then; it waits for the close plus KIS_MINUTE_BUFFER_S before
    fetching. A tick that comes after the close still requests the minute that just closed; older misses are
    the repair sensor's. Follows the platform clock (the system's, or the simulator's with
    KIS_PLATFORM_CLOCK=simulator)."""
    settings = get_settings()
    now = clock.now(settings)
    # The lead is real start-up time; on an accelerated simulator clock it spans more simulated seconds (at 4x,
    # 100 s: a run is requested two minutes ahead). Capped well inside the board's EARLY_LIMIT of 5 minutes.
    lead_s = min(settings.minute_prelaunch_s * clock.speed(settings), MAX_LEAD_S)
    requests = minute_requests(context.instance, now, lead_s)
    if not requests:
        return dg.SkipReason(f"{now:%Y-%m-%d %H:%M:%S} KST: no session minute due")
    return dg.SensorResult(run_requests=requests)


def live_collection_start(instance: dg.DagsterInstance) -> str | None:
    """The minute of the first run the live trigger launched: live collection started there. Minutes before it,
    and minutes a person backfilled on their own, are history a person chose, not gaps."""
    first = instance.get_runs(dg.RunsFilter(tags={"dagster/sensor_name": LIVE_SENSOR}), limit=1, ascending=True)
    return first[0].tags.get("dagster/partition") if first else None


def missing_minutes(instance: dg.DagsterInstance, now: datetime,
                    asset: dg.AssetKey = MINUTE_BARS, since: str | None = None) -> list[str]:
    """Registered minutes since live collection of `asset` started (the later of `since`, by default the
    minute of the live trigger's first run, and the asset's first materialized minute, for an asset added
    later) that closed more than two minutes ago and have no materialization of it. Today's first (newest
    first), then older days oldest first: those are closest to leaving the source's one-year window."""
    since = since or live_collection_start(instance)
    done = instance.get_materialized_partitions(asset)
    if since is None or not done:
        return []
    first, horizon = max(since, min(done)), minute_key(now - timedelta(minutes=3))
    keys = [k for k in instance.get_dynamic_partitions(SESSION_MINUTES.name)
            if first <= k <= horizon and k not in done]
    in_flight = {r.tags.get("dagster/partition") for r in instance.get_runs(
        dg.RunsFilter(job_name=intraday_minute_job.name,
                      statuses=[dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]))}
    keys = [k for k in keys if k not in in_flight]
    today = now.astimezone(KST).strftime(MINUTE_FORMAT)[:10]
    return sorted((k for k in keys if k.startswith(today)), reverse=True) + sorted(k for k in keys if not k.startswith(today))


def repair_requests(instance: dg.DagsterInstance, now: datetime, batch: int = REPAIR_BATCH) -> list[dg.RunRequest]:
    """Runs for up to `batch` missed minutes, each selecting the refetchable assets that miss it."""
    since = live_collection_start(instance)
    if since is None:
        return []
    missing: dict[str, list[dg.AssetKey]] = {}
    for asset in REPAIRABLE:
        for key in missing_minutes(instance, now, asset, since):
            missing.setdefault(key, []).append(asset)
    today = now.astimezone(KST).strftime(MINUTE_FORMAT)[:10]
    order = sorted((k for k in missing if k.startswith(today)), reverse=True) + sorted(
        k for k in missing if not k.startswith(today))
    stamp = now.strftime("%Y%m%d%H%M")  # run keys are permanent: a new stamp lets a failed repair be retried
    return [dg.RunRequest(partition_key=k, run_key=f"repair-{k}-{stamp}", tags={"kis_platform/trigger": "repair"},
                          asset_selection=missing[k])
            for k in order[:batch]]


@dg.sensor(job=intraday_minute_job, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.RUNNING)
def repair_missed_minutes(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Finds session minutes without a successful materialization of a refetchable minute asset (watch-list,
    universe or futures bars: the daemon was down, a run failed, the source was late) and runs them again for those assets:
    today's through the intraday TRs, earlier days through the past-day TRs. Option-board snapshots cannot be
    refetched; their misses stay visible as failures and in the completeness ledger."""
    requests = repair_requests(context.instance, clock.now(get_settings()))
    if not requests:
        return dg.SkipReason("no missed minutes")
    return dg.SensorResult(run_requests=requests)
