"""When daily data is collected: KIS after the close (18:00 KST), KRX once it publishes (D+1 08:00 KST)."""

from __future__ import annotations


import dagster as dg

from kis_platform.calendar import KST
from kis_platform.defs.daily.assets import daily_bars
from kis_platform.defs.flows.assets import investor_flows
from kis_platform.defs.master.assets import stock_master
from kis_platform.defs.partitions import TRADING_DAYS

daily_kis_job = dg.define_asset_job(
    "daily_kis_job", selection=[daily_bars, investor_flows], partitions_def=TRADING_DAYS,
    executor_def=dg.in_process_executor,
    config={"ops": {"daily_bars": {"config": {"sources": ["KIS"]}}}},
    description="The watch list's KIS daily bars (raw and adjusted) and investor flows of one trading day.",
)
daily_krx_job = dg.define_asset_job(
    "daily_krx_job", selection=[stock_master, daily_bars], partitions_def=TRADING_DAYS,
    executor_def=dg.in_process_executor,
    config={"ops": {"daily_bars": {"config": {"sources": ["KRX"]}}}},
    description="The whole market from KRX for one trading day: listed stocks (stock master) and daily bars.",
)


def _registered_days(context: dg.ScheduleEvaluationContext) -> list[str]:
    return sorted(context.instance.get_dynamic_partitions(TRADING_DAYS.name))


@dg.schedule(job=daily_kis_job, cron_schedule="0 18 * * 1-5", execution_timezone="Asia/Seoul",
             default_status=dg.DefaultScheduleStatus.RUNNING)
def kis_after_close(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """Today's KIS data at 18:00 KST, when investor flows are final."""
    today = context.scheduled_execution_time.astimezone(KST).date().isoformat()
    if today not in set(_registered_days(context)):
        return dg.SkipReason(f"{today} is not a trading day")
    return dg.RunRequest(partition_key=today, run_key=f"kis-daily-{today}")


@dg.schedule(job=daily_krx_job, cron_schedule="0 8 * * 1-6", execution_timezone="Asia/Seoul",
             default_status=dg.DefaultScheduleStatus.RUNNING)
def krx_next_morning(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    """The previous trading day's KRX data at 08:00 KST, when KRX has published it."""
    today = context.scheduled_execution_time.astimezone(KST).date().isoformat()
    before = [d for d in _registered_days(context) if d < today]
    if not before:
        return dg.SkipReason("no trading day registered yet (the trading_calendar asset registers them)")
    return dg.RunRequest(partition_key=before[-1], run_key=f"krx-daily-{before[-1]}")


