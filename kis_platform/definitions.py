"""The one Definitions object of the kis_platform code location: every asset, check, job, schedule, sensor
and resource, gathered from the domain folders under `kis_platform/defs/`."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs import domains

defs = dg.Definitions.merge(*domains())
