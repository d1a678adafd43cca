"""The one job that runs every minute of the session: all minute-level assets, in one process."""

from __future__ import annotations

import dagster as dg

from kis_platform.defs.partitions import SESSION_MINUTES

# Defined in their own domains (intraday/, options/); selected here by key.
MINUTE_ASSETS = [dg.AssetKey(k) for k in ("minute_bars", "futures_minute_bars", "option_chain_snapshots",
                                          "option_matrices", "universe_minute_bars")]

# One run a minute (~391 a day): the in-process executor saves the ~1 s a step process would cost (dagster-notes
# §1.5), and a lane tag keeps the run out of the backfill slot limit. Run retries (dagster.yaml) relaunch a
# minute run whose process died, but not one whose step failed: a late option snapshot fails by design and
# would fail again, and its retries would queue behind the live minutes; refetchable minutes that failed are
# repair_missed_minutes' (docs/reliability.md).
intraday_minute_job = dg.define_asset_job(
    "intraday_minute_job",
    selection=MINUTE_ASSETS,
    partitions_def=SESSION_MINUTES,
    executor_def=dg.in_process_executor,
    tags={"kis_platform/lane": "minute", "dagster/max_runtime": 300, "dagster/retry_on_asset_or_op_failure": "false"},
    description="Every minute-level asset for one session minute; launched by the minute schedule and gap repair.",
)
