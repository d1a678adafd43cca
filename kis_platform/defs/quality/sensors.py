"""The quality mirror sensor: every failed asset check, from any asset, becomes a data_quality_issues row, and
each run that evaluated checks gets the `kis_platform/quality` tag (OK / PARTIAL / FAILED) for filtering."""

from __future__ import annotations

from collections.abc import Callable

import dagster as dg

from kis_platform.quality.mirror import mirror_check_failures


def _market_dsn() -> str:
    from kis_platform.storage.database import market_dsn

    return market_dsn()


def build_quality_mirror_sensor(dsn_fn: Callable[[], str] = _market_dsn, *, name: str = "quality_issue_mirror",
                                minimum_interval_seconds: int = 30) -> dg.SensorDefinition:
    """A sensor over the event log (cursor = storage id of the last check evaluation processed)."""

    @dg.sensor(name=name, minimum_interval_seconds=minimum_interval_seconds,
               default_status=dg.DefaultSensorStatus.RUNNING,
               description="Copies every failed asset-check evaluation into data_quality_issues (asset, partition, "
                           "check name as rule, severity, metadata as details, run id) and tags the run "
                           "kis_platform/quality = OK, PARTIAL (WARN failures only) or FAILED (an ERROR failure).")
    def _mirror(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        after = int(context.cursor) if context.cursor else 0
        result = mirror_check_failures(context.instance, dsn_fn(), after)
        if not result.evaluations:
            return dg.SkipReason("no new check evaluations")
        context.log.info(f"{result.evaluations} evaluations, {result.mirrored} failures mirrored, "
                         f"runs tagged: {result.runs_tagged}")
        return dg.SensorResult(cursor=str(result.cursor))

    return _mirror


quality_issue_mirror = build_quality_mirror_sensor()
