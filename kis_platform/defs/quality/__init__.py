"""Data quality across the platform: the sensor that mirrors failed checks into data_quality_issues and tags
runs OK / PARTIAL / FAILED. The checks themselves are attached by each domain (kis_platform.quality)."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.quality.sensors import (
    build_quality_mirror_sensor,
    quality_issue_mirror,
)

__all__ = ["build_quality_mirror_sensor", "defs", "quality_issue_mirror"]

defs = dg.Definitions(sensors=[quality_issue_mirror])
