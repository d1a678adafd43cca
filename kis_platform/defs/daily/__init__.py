"""Daily OHLCV (KRX whole market, KIS watch list) with reconciliation, and the daily schedules."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.daily.assets import daily_bars
from kis_platform.defs.partitions import TRADING_DAYS
from kis_platform.quality import completeness_check, spike_check
from kis_platform.defs.daily.schedules import daily_kis_job, daily_krx_job, kis_after_close, krx_next_morning

checks = [completeness_check(daily_bars.key, "daily_bars", TRADING_DAYS),
          spike_check(daily_bars.key, "daily_close", TRADING_DAYS)]

defs = dg.Definitions(assets=[daily_bars], asset_checks=checks, jobs=[daily_kis_job, daily_krx_job],
                      schedules=[kis_after_close, krx_next_morning])
