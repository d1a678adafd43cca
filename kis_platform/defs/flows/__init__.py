"""Investor flows per stock and day, pension funds included."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.flows.assets import investor_flows

defs = dg.Definitions(assets=[investor_flows])
