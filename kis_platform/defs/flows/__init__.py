"""Investor flows per stock and day, pension funds included."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.flows.assets import investor_flows
from kis_platform.defs.partitions import TRADING_DAYS
from kis_platform.quality import completeness_check

defs = dg.Definitions(assets=[investor_flows],
                      asset_checks=[completeness_check(investor_flows.key, "investor_flows", TRADING_DAYS)])
