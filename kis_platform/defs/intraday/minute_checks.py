"""The minute's soft checks on minute_bars (freshness, volume spike, frozen feed), reported by the asset's own
step right after its write. As asset checks of their own they were three more steps of the in-process minute
run, each with its own start and end events: 0.6-2 s of the minute's latency (docs/benchmarks.md). They only
flag (WARN) and are evaluated again whenever the minute is materialized again."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import dagster as dg

from kis_platform.defs.intraday.keys import MINUTE_BARS
from kis_platform.defs.partitions import SESSION_MINUTES
from kis_platform.quality.checks import freshness_description, freshness_result
from kis_platform.quality.spikes import (
    flag_result,
    minute_volume_spikes,
    spike_description,
    stale_feed_description,
    stale_runs,
)

MAX_LAG = timedelta(minutes=3)
SOFT_CHECK_SPECS = [
    dg.AssetCheckSpec("freshness", asset=MINUTE_BARS, partitions_def=SESSION_MINUTES,
                      description=freshness_description("minute_bars", MAX_LAG)),
    dg.AssetCheckSpec("minute_volume_spike", asset=MINUTE_BARS, partitions_def=SESSION_MINUTES,
                      description=spike_description("minute_volume")),
    dg.AssetCheckSpec("stale_feed", asset=MINUTE_BARS, partitions_def=SESSION_MINUTES,
                      description=stale_feed_description()),
]


def soft_check_results(dsn: str, partition_key: str, now: datetime) -> Iterator[dg.AssetCheckResult]:
    """One result per spec of SOFT_CHECK_SPECS for the minute `partition_key`, as of `now` (platform clock)."""
    results = {"freshness": freshness_result(dsn, "minute_bars", partition_key, MAX_LAG, now),
               "minute_volume_spike": flag_result("minute_volume_spike", *minute_volume_spikes(dsn, partition_key)),
               "stale_feed": flag_result("stale_feed", *stale_runs(dsn, partition_key))}
    for spec in SOFT_CHECK_SPECS:
        result = results[spec.name]
        yield dg.AssetCheckResult(asset_key=MINUTE_BARS, check_name=spec.name, passed=result.passed,
                                  severity=result.severity, metadata=result.metadata)
