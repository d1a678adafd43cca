"""Keep the Dagster instance small without losing history: prune old step chatter and old compute logs.

About 400 runs a day leave ~20k event-log rows and ~1,200 compute-log files a day (dagster-notes §2.5), and Dagster
OSS has no retention for either. What goes, once older than N days:

* event-log rows of run plumbing: ENGINE_EVENT, LOGS_CAPTURED, STEP_START/SUCCESS/INPUT/OUTPUT/SKIPPED/…,
  HANDLED_OUTPUT, LOADED_INPUT, RESOURCE_INIT_*, hooks, and plain `context.log` messages (no event type);
* compute-log files (`<run_id>/compute_logs/*` under the compute-log directory).

What stays forever: every ASSET_* event (materializations, observations, planned/failed materializations, check
evaluations), every run status event (PIPELINE_* / RUN_*), and STEP_FAILURE (the error of a failed partition).
Partition status, asset history and check history are computed from exactly those, so nothing in the asset
catalog changes. Runs are never deleted: `instance.delete_run` would take their materializations with them.

How: Dagster 1.13 has no public API to delete events by type (only `delete_events(run_id)`, which removes the
asset events too). We therefore issue a DELETE on the instance's own `event_logs` table through the instance's
event-log storage (`index_connection()` and its SQLAlchemy table object, as Dagster's own `delete_events` does),
in batches, so Postgres and SQLite instances behave the same and the schema stays Dagster's to evolve.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import sqlalchemy as db
from dagster._core.storage.event_log.schema import SqlEventLogStorageTable
from dagster._core.storage.event_log.sql_event_log import SqlEventLogStorage

PRUNABLE_EVENT_TYPES = (
    "ENGINE_EVENT", "LOGS_CAPTURED", "STEP_START", "STEP_SUCCESS", "STEP_INPUT", "STEP_OUTPUT", "STEP_SKIPPED",
    "STEP_WORKER_STARTING", "STEP_WORKER_STARTED", "STEP_UP_FOR_RETRY", "STEP_RESTARTED", "STEP_EXPECTATION_RESULT",
    "RESOURCE_INIT_STARTED", "RESOURCE_INIT_SUCCESS", "RESOURCE_INIT_FAILURE", "HANDLED_OUTPUT", "LOADED_INPUT",
    "OBJECT_STORE_OPERATION", "ASSET_STORE_OPERATION", "HOOK_COMPLETED", "HOOK_ERRORED", "HOOK_SKIPPED",
)
_BATCH = 20_000


@dataclass
class PruneReport:
    events_deleted: int = 0
    log_files_deleted: int = 0
    log_bytes_freed: int = 0
    cutoff_events: str = ""
    cutoff_logs: str = ""
    errors: list[str] = field(default_factory=list)


def prune_events(instance: dg.DagsterInstance, older_than: dt.datetime) -> int:
    """Delete prunable event-log rows stamped before `older_than` (aware); returns how many went."""
    storage = instance.event_log_storage
    if not isinstance(storage, SqlEventLogStorage):
        raise TypeError(f"{type(storage).__name__} is not a SQL event-log storage; nothing can be pruned")
    table = SqlEventLogStorageTable
    # Dagster stores naive UTC timestamps in event_logs.
    cutoff = older_than.astimezone(dt.timezone.utc).replace(tzinfo=None)
    prunable = db.or_(table.c.dagster_event_type.is_(None), table.c.dagster_event_type.in_(PRUNABLE_EVENT_TYPES))
    deleted = 0
    while True:
        with storage.index_connection() as conn:
            ids = [r[0] for r in conn.execute(
                db.select(table.c.id).where(table.c.timestamp < cutoff, prunable).limit(_BATCH)).fetchall()]
            if not ids:
                return deleted
            conn.execute(table.delete().where(table.c.id.in_(ids)))
            if hasattr(conn, "commit") and conn.in_transaction():
                conn.commit()
        deleted += len(ids)


def compute_log_dir(instance: dg.DagsterInstance) -> Path | None:
    """Directory of the local compute-log manager (default `$DAGSTER_HOME/storage`), None if logs live elsewhere."""
    base = getattr(instance.compute_log_manager, "_base_dir", None)
    return Path(base) if base else None


def prune_compute_logs(base: Path, older_than: dt.datetime) -> tuple[int, int]:
    """Delete compute-log files older than `older_than`; returns (files, bytes).

    Only `<run_id>/compute_logs/` is touched: the same `storage/` folder also holds the filesystem IO manager's
    asset values, which downstream assets still read.
    """
    files = size = 0
    limit = older_than.timestamp()
    for log_dir in base.glob("*/compute_logs"):
        for path in log_dir.rglob("*"):
            if path.is_file() and path.stat().st_mtime < limit:
                size += path.stat().st_size
                path.unlink()
                files += 1
        if not any(log_dir.rglob("*")):
            shutil.rmtree(log_dir, ignore_errors=True)
            if not any(log_dir.parent.iterdir()):
                log_dir.parent.rmdir()
    return files, size


def prune_instance(instance: dg.DagsterInstance, event_days: int = 30, log_days: int = 7,
                   now: dt.datetime | None = None) -> PruneReport:
    """Prune event-log chatter older than event_days and compute logs older than log_days."""
    now = now or dt.datetime.now(dt.timezone.utc)
    events_cutoff, logs_cutoff = now - dt.timedelta(days=event_days), now - dt.timedelta(days=log_days)
    report = PruneReport(cutoff_events=events_cutoff.isoformat(timespec="seconds"),
                         cutoff_logs=logs_cutoff.isoformat(timespec="seconds"))
    report.events_deleted = prune_events(instance, events_cutoff)
    base = compute_log_dir(instance)
    if base is not None and base.exists():
        report.log_files_deleted, report.log_bytes_freed = prune_compute_logs(base, logs_cutoff)
    return report
