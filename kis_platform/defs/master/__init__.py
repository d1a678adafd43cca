"""Reference data: trading calendar and point-in-time stock master."""

from __future__ import annotations

from datetime import datetime

import dagster as dg

from kis_platform.calendar import KST
from kis_platform.defs.master.assets import stock_master, trading_calendar

calendar_job = dg.define_asset_job("trading_calendar_job", selection=[trading_calendar],
                                   executor_def=dg.in_process_executor)


@dg.sensor(job=calendar_job, minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING)
def trading_calendar_daily(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Refreshes the calendar once per KST day from 07:00 — and at once on a fresh install, so that trading
    days and session minutes exist as partitions before anything else runs."""
    now = datetime.now(KST)
    today = now.date().isoformat()
    record = context.instance.get_latest_materialization_event(dg.AssetKey("trading_calendar"))
    done_today = record is not None and datetime.fromtimestamp(record.timestamp, KST).date().isoformat() == today
    if done_today:
        return dg.SkipReason(f"calendar already refreshed today ({today})")
    if record is not None and now.hour < 7:
        return dg.SkipReason("waiting for 07:00 KST to refresh the calendar")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"calendar-{today}")])


defs = dg.Definitions(assets=[trading_calendar, stock_master], jobs=[calendar_job], sensors=[trading_calendar_daily])
