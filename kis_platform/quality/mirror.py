"""Mirror failed asset-check evaluations (of any asset) into data_quality_issues and tag their runs.

Works from the event log with a cursor (the storage id of the last evaluation seen), so nothing is missed
between ticks and a re-processed evaluation is not inserted twice (the event's storage id is kept in
details.event_id and checked before inserting).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import dagster as dg
import psycopg
from psycopg.types.json import Jsonb

from kis_platform.quality.issues import plain, set_run_quality

BATCH = 500

_INSERT = """INSERT INTO data_quality_issues (asset, partition_key, rule, severity, details, run_id)
             SELECT %(asset)s, %(partition_key)s, %(rule)s, %(severity)s, %(details)s, %(run_id)s
             WHERE NOT EXISTS (SELECT 1 FROM data_quality_issues
                               WHERE run_id = %(run_id)s AND details->>'event_id' = %(event_id)s)"""


@dataclass(frozen=True)
class MirrorResult:
    cursor: int
    evaluations: int
    mirrored: int
    runs_tagged: dict[str, str]


def _partition(instance: dg.DagsterInstance, evaluation: Any, run_id: str) -> str | None:
    """The evaluation's partition, or (checks declared without partitions_def) the run's partition."""
    if evaluation.partition is not None:
        return evaluation.partition
    run = instance.get_run_by_id(run_id)
    return run.tags.get("dagster/partition") if run is not None else None


def mirror_check_failures(instance: dg.DagsterInstance, dsn: str, after: int = 0, limit: int = BATCH) -> MirrorResult:
    """Process check evaluations with storage id > `after` (oldest first, at most `limit`)."""
    with warnings.catch_warnings():
        # Deprecated for 2.0 but the only cross-asset reader of check evaluations in 1.13.
        warnings.simplefilter("ignore", DeprecationWarning)
        records = instance.get_event_records(
            dg.EventRecordsFilter(event_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION, after_cursor=after or None),
            limit=limit, ascending=True,
        )
    rows, runs = [], set()
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        run_id = record.event_log_entry.run_id
        runs.add(run_id)
        if evaluation.passed:
            continue
        details = {k: plain(v) for k, v in evaluation.metadata.items()}
        details |= {"check": evaluation.check_name, "event_id": str(record.storage_id),
                    "description": evaluation.description}
        rows.append({"asset": evaluation.asset_key.to_user_string(), "partition_key": _partition(instance, evaluation,
                                                                                                 run_id),
                     "rule": evaluation.check_name, "severity": evaluation.severity.value,
                     "details": Jsonb(details), "run_id": run_id, "event_id": str(record.storage_id)})
    if rows:
        with psycopg.connect(dsn) as conn, conn.transaction(), conn.cursor() as cur:
            cur.executemany(_INSERT, rows)
    tagged = {run_id: set_run_quality(instance, run_id, dsn) for run_id in sorted(runs)
              if instance.get_run_by_id(run_id) is not None}
    cursor = records[-1].storage_id if records else after
    return MirrorResult(cursor=cursor, evaluations=len(records), mirrored=len(rows), runs_tagged=tagged)
