"""Data quality: the raw-ingest guard, data_quality_issues, the completeness ledger, and check factories.

Public API for asset authors:
    guard, guarded_write, schema_check_spec, SCHEMA_CHECK          (kis_platform.quality.guard)
    record_issues, record_issue_rows, set_run_quality, QUALITY_TAG   (kis_platform.quality.issues)
    compute_completeness, write_completeness                         (kis_platform.quality.completeness)
    completeness_check, freshness_check                              (kis_platform.quality.checks)
    spike_check, stale_feed_check                                    (kis_platform.quality.spikes)
"""

from __future__ import annotations

from kis_platform.quality.checks import completeness_check, freshness_check
from kis_platform.quality.completeness import compute_completeness, write_completeness
from kis_platform.quality.guard import (
    SCHEMA_CHECK,
    GuardResult,
    guard,
    guarded_write,
    schema_check_spec,
)
from kis_platform.quality.issues import (
    QUALITY_TAG,
    record_issue_rows,
    record_issues,
    set_run_quality,
)
from kis_platform.quality.spikes import spike_check, stale_feed_check

__all__ = [
    "QUALITY_TAG", "SCHEMA_CHECK", "GuardResult", "completeness_check", "compute_completeness", "freshness_check",
    "guard", "guarded_write", "record_issue_rows", "record_issues", "schema_check_spec", "set_run_quality",
    "spike_check", "stale_feed_check", "write_completeness",
]
