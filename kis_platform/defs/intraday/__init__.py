"""Intraday: minute-partitioned stock and index-futures bars, the minute job, its triggers and gap repair."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.intraday.assets import minute_bars
from kis_platform.defs.intraday.futures import futures_minute_bars
from kis_platform.defs.intraday.jobs import intraday_minute_job
from kis_platform.defs.intraday.schedules import every_session_minute, every_simulated_minute, repair_missed_minutes

defs = dg.Definitions(assets=[minute_bars, futures_minute_bars], jobs=[intraday_minute_job], schedules=[every_session_minute],
                      sensors=[every_simulated_minute, repair_missed_minutes])
