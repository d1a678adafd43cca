"""Daily OHLCV (KRX whole market, KIS watch list) with reconciliation, and the daily schedules."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.daily.assets import daily_bars
from kis_platform.defs.daily.schedules import daily_kis_job, daily_krx_job, kis_after_close, krx_next_morning

defs = dg.Definitions(assets=[daily_bars], jobs=[daily_kis_job, daily_krx_job],
                      schedules=[kis_after_close, krx_next_morning])
