"""After the close: one run per trading day checks the whole day of every minute-level data set."""

from datetime import date, datetime, timedelta
from typing import Any

import dagster as dg
import pandas as pd

from kis_platform import calendar, clock
from kis_platform.defs.intraday.audit_ledger import Measured
from kis_platform.defs.intraday.audit_sets import measure_day
from kis_platform.defs.intraday.jobs import intraday_minute_job
from kis_platform.defs.intraday.universe import day_universe
from kis_platform.defs.partitions import TRADING_DAYS, day_key, parse_day_key
from kis_platform.defs.resources import MarketDatabase
from kis_platform.quality.completeness import write_completeness
from kis_platform.settings import get_settings

AUDIT = "intraday_day_audit"
# Futures trade until close + 15 and the after-close run fetches that tail at close + 16: 16:00 on a normal
# day, 17:00 on a CSAT day (close 16:30).
AUDIT_DELAY = timedelta(minutes=30)
SESSION_LEAD = timedelta(minutes=10)  # the live minutes' run slots and request budget are kept free from here on
PASS_TAG = "kis_platform/audit_pass"  # before_repair (the sensor's first run) or after_repair; unset = final
REPAIR_TAG = "kis_platform/audit_repair"  # the trading day whose gaps a repair run fills
MAX_REPAIR_RUNS = 60  # per data set and day; more gaps than that are a backfill for the UI
DATASETS = {
    "minute_bars": "watch-list stock bars (KIS_SYMBOLS)",
    "universe_minute_bars": "stock bars of the rest of the listed universe (25-minute cycle)",
    "futures_minute_bars": "KOSPI200 / KOSDAQ150 front-month futures bars",
    "option_chain_snapshots": "KOSPI200 option board snapshots (cannot be refetched)",
    "option_matrices": "ATM-relative option matrices (rebuilt from stored snapshots)",
}


def check_name(dataset: str) -> str:
    return f"{dataset}_complete"


def _check(m: Measured, final: bool) -> dg.AssetCheckResult:
    # Snapshots cannot be fetched again: their misses are a warning to read, not a failure to fix.
    severity = dg.AssetCheckSeverity.ERROR if m.refetchable and final else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        check_name=check_name(m.dataset), passed=m.unexplained == 0, severity=severity,
        metadata={"expected_rows": m.expected, "present_rows": m.present, "missing_rows": m.unexplained,
                  "no_trade_rows": m.no_trades, "num_failures": m.unexplained, "reason": str(m.ledger.iloc[-1]["reason"]),
                  "missing": ", ".join(m.missing) or "none", "repair_partitions": len(m.repair_keys),
                  "refetchable": m.refetchable, **{k: dg.MetadataValue.json(v) if isinstance(v, dict) else v
                                                   for k, v in m.notes.items()}},
    )


def _summary(measured: list[Measured]) -> pd.DataFrame:
    return pd.DataFrame([{"data set": m.dataset, "expected": m.expected, "present": m.present,
                          "missing (unexplained)": m.unexplained, "no trades": m.no_trades,
                          "reruns requested": len(m.repair_keys), "missing sample": ", ".join(m.missing[:5])}
                         for m in measured])


@dg.asset(
    group_name="quality",
    kinds={"postgres"},
    partitions_def=TRADING_DAYS,
    check_specs=[dg.AssetCheckSpec(check_name(ds), asset=AUDIT, partitions_def=TRADING_DAYS, blocking=False,
                                   description=f"{text}: every expected minute present, or explained (no trades)")
                 for ds, text in DATASETS.items()],
)
def intraday_day_audit(context: dg.AssetExecutionContext, database: MarketDatabase) -> dg.MaterializeResult:
    """Whether each minute-level data set of the trading day is complete: for the watch-list and universe stock
    bars, the futures bars, the option snapshots and the option matrices, the minutes the calendar says should
    exist (x symbols / contracts / expiries) against the rows stored, and for every empty minute whether a run
    asked the source for it (no trades then) or not (missing). Written to the `completeness` ledger (one line per
    data set, day and symbol, '*' for the day); the checks fail at ERROR when refetchable data is still missing
    after repair, at WARN for lost option snapshots. Metadata lists the reruns that would fill the gaps."""
    day = parse_day_key(context.partition_key)
    now = clock.now()
    settings = get_settings()
    listed = day_universe(database, day, settings.symbols)
    measured = measure_day(context.instance, database.dsn(), day, now, settings.symbols, listed)
    for m in measured:
        write_completeness(database.dsn(), m.ledger)
    final = context.run.tags.get(PASS_TAG) != "before_repair"
    repairs = {m.asset: m.repair_keys[:MAX_REPAIR_RUNS] for m in measured if m.refetchable and m.repair_keys}
    for m in measured:
        if m.unexplained:
            context.log.warning(f"{m.dataset}: {m.unexplained} of {m.expected} expected rows missing "
                                f"({', '.join(m.missing[:5])}); {len(m.repair_keys)} partitions to rerun")
    meta: dict[str, Any] = {"audited_at": str(now), "pass": context.run.tags.get(PASS_TAG, "final"),
                            "summary": dg.MetadataValue.md(_summary(measured).to_markdown(index=False)),
                            "repair_requests": dg.MetadataValue.json(repairs),
                            "beyond_repair_limit": sum(max(0, len(m.repair_keys) - MAX_REPAIR_RUNS) for m in measured)}
    for m in measured:
        meta.update({f"{m.dataset}_expected": m.expected, f"{m.dataset}_present": m.present,
                     f"{m.dataset}_missing": m.unexplained})
    return dg.MaterializeResult(metadata=meta, check_results=[_check(m, final) for m in measured])


intraday_day_audit_job = dg.define_asset_job(
    "intraday_day_audit_job", selection=[AUDIT],
    description="The after-close audit of one trading day's minute-level data; launched by audit_after_close.")


def audit_days(now: datetime) -> list[date] | None:
    """The sessions whose audit the sensor moves on at `now`, oldest first: the previous session (so a daemon that
    was down at the close catches up), and today once it is AUDIT_DELAY past the close. While today's session is
    on (from SESSION_LEAD before the open), none: the previous day's audit and its repair runs (up to
    MAX_REPAIR_RUNS per data set, whole-universe fetches among them) are catch-up work that would take the run
    slots and the request budget of the live minutes, and its data stays at the source for about a year.
    None outside the calendar."""
    today = now.date()
    try:
        days = [calendar.previous_session(today)]
        if calendar.is_session(today):
            open_at, close_at = calendar.session_bounds(today)
            if open_at - SESSION_LEAD <= now < close_at + AUDIT_DELAY:
                return []
            if now >= close_at + AUDIT_DELAY:
                days.append(today)
        return days
    except ValueError:
        return None


def _runs(instance: dg.DagsterInstance, tags: dict[str, str]) -> list[dg.DagsterRun]:
    return list(instance.get_runs(dg.RunsFilter(tags=tags), limit=500))


def _repair_requests(instance: dg.DagsterInstance, run: dg.DagsterRun, key: str) -> list[dg.RunRequest]:
    records = instance.fetch_materializations(dg.AssetRecordsFilter(asset_key=dg.AssetKey(AUDIT), asset_partitions=[key]),
                                              limit=50).records
    mine = next((r.asset_materialization for r in records if r.run_id == run.run_id), None)
    wanted = mine.metadata["repair_requests"].value if mine is not None and "repair_requests" in mine.metadata else {}
    return [dg.RunRequest(job_name=intraday_minute_job.name, partition_key=minute, asset_selection=[dg.AssetKey(asset)],
                          run_key=f"audit-repair-{asset}-{minute}", tags={REPAIR_TAG: key, "kis_platform/trigger": "audit-repair"})
            for asset, minutes in sorted(wanted.items()) for minute in minutes]


@dg.sensor(jobs=[intraday_day_audit_job, intraday_minute_job], minimum_interval_seconds=60,
           default_status=dg.DefaultSensorStatus.RUNNING)
def audit_after_close(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.RunRequest | dg.SkipReason:
    """Half an hour after the close (platform clock: the simulator's with KIS_PLATFORM_CLOCK=simulator), audits
    the day; when the audit found refetchable gaps, reruns the partitions that fill them (minutes never
    materialized are left to repair_missed_minutes), and once those runs have finished audits the day again:
    that second audit fails at ERROR for anything still missing. The previous session's audit is moved on too,
    outside today's session only (`audit_days`)."""
    now = clock.now(get_settings())
    days = audit_days(now)
    if days is None:
        return dg.SkipReason("outside the calendar")
    if not days:
        return dg.SkipReason(f"the session is on ({now:%H:%M}): earlier days are audited and repaired after the close")
    requests: list[dg.RunRequest] = []
    reasons: list[str] = []
    for day in days:
        step = _next_step(context.instance, day_key(day))
        if isinstance(step, dg.SkipReason):
            reasons.append(step.skip_message or "")
        else:
            requests.extend(step)
    return dg.SensorResult(run_requests=requests) if requests else dg.SkipReason("; ".join(reasons))


def _next_step(instance: dg.DagsterInstance, key: str) -> list[dg.RunRequest] | dg.SkipReason:
    """The runs that move the audit of trading day `key` on (its first audit, the repairs it asked for, the audit
    after them), or why there are none. Run keys make every request happen once."""
    if not instance.has_dynamic_partition(TRADING_DAYS.name, key):
        return dg.SkipReason(f"{key} is not a registered trading day")
    first = _runs(instance, {PASS_TAG: "before_repair", "dagster/partition": key})
    if not first:
        return [dg.RunRequest(job_name=intraday_day_audit_job.name, partition_key=key, run_key=f"day-audit-{key}",
                              tags={PASS_TAG: "before_repair"})]
    if not first[0].is_finished:
        return dg.SkipReason(f"the audit of {key} is running")
    if first[0].status != dg.DagsterRunStatus.SUCCESS:
        return dg.SkipReason(f"the audit of {key} failed (run {first[0].run_id}); rerun it from the UI")
    repairs = _repair_requests(instance, first[0], key)
    if not repairs:
        return dg.SkipReason(f"{key}: nothing to repair")
    launched = _runs(instance, {REPAIR_TAG: key})
    if len(launched) < len(repairs) or not all(r.is_finished for r in launched):
        return repairs
    return [dg.RunRequest(job_name=intraday_day_audit_job.name, partition_key=key,
                          run_key=f"day-audit-{key}-after-repair", tags={PASS_TAG: "after_repair"})]
