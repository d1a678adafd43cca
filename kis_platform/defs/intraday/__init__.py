"""Intraday: minute-partitioned stock and index-futures bars (watch list every minute, the whole universe in a
25-minute cycle), the minute job, its triggers, gap repair, and the after-close audit of every minute-level data set."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.intraday.assets import minute_and_futures_bars
from kis_platform.defs.intraday.day_audit import (
                          audit_after_close,
                          intraday_day_audit,
                          intraday_day_audit_job,
)
from kis_platform.defs.intraday.jobs import intraday_minute_job
from kis_platform.defs.intraday.schedules import (
                          every_session_minute,
                          repair_missed_minutes,
)
from kis_platform.defs.intraday.universe import universe_minute_bars

# minute_bars reports its soft checks (freshness, volume spike, frozen feed) from its own step: minute_checks.py.
defs = dg.Definitions(assets=[minute_and_futures_bars, universe_minute_bars, intraday_day_audit],
                      jobs=[intraday_minute_job, intraday_day_audit_job],
                      sensors=[every_session_minute, repair_missed_minutes, audit_after_close])
