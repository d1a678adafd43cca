"""Backtest exports launched from the Dagster UI (Jobs → backtest_export → Launchpad)."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.export.job import backtest_export

defs = dg.Definitions(jobs=[backtest_export])
