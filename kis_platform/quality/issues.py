"""data_quality_issues: record rule violations, and turn a run's issues into its quality tag.

Dagster's own run status says whether the code ran; the `kis_platform/quality` run tag says whether the data is
good: OK (no failed check), PARTIAL (only WARN failures: data kept, look at it), FAILED (an ERROR failure: data
refused or wrong). Filter runs by it in the UI (Runs → tag kis_platform/quality=FAILED). The tag is set by the
`quality_issue_mirror` sensor (kis_platform.defs.quality) and by `set_run_quality` for anyone who wants it now.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

import dagster as dg
import psycopg
from psycopg.types.json import Jsonb

from kis_platform.storage.pool import get_pool

QUALITY_TAG = "kis_platform/quality"
OK, PARTIAL, FAILED = "OK", "PARTIAL", "FAILED"
SEVERITIES = ("WARN", "ERROR")

_INSERT = """INSERT INTO data_quality_issues (asset, partition_key, rule, severity, symbol, trade_date, details, run_id)
             VALUES (%(asset)s, %(partition_key)s, %(rule)s, %(severity)s, %(symbol)s, %(trade_date)s, %(details)s,
                     %(run_id)s)"""


def _dsn(dsn: str | None) -> str:
    if dsn is not None:
        return dsn
    from kis_platform.storage.database import market_dsn

    return market_dsn()


def plain(value: Any) -> Any:
    """A JSON-ready version of a metadata value (Dagster MetadataValue, dates, numpy numbers …)."""
    if isinstance(value, dg.TableMetadataValue):
        return [json.loads(json.dumps(dict(r.data), default=str)) for r in value.records]
    if isinstance(value, dg.MetadataValue):
        value = value.value
    return json.loads(json.dumps(value, default=str))


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    if row["severity"] not in SEVERITIES:
        raise ValueError(f"severity must be WARN or ERROR, got {row['severity']!r}")
    trade_date = row.get("trade_date")
    return {
        "asset": str(row["asset"]), "partition_key": row.get("partition_key", row.get("partition")),
        "rule": str(row["rule"]), "severity": row["severity"], "symbol": row.get("symbol"),
        "trade_date": date.fromisoformat(trade_date) if isinstance(trade_date, str) else trade_date,
        "details": Jsonb({k: plain(v) for k, v in dict(row.get("details") or {}).items()}),
        "run_id": row.get("run_id"),
    }


def record_issue_rows(dsn: str | None, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert many issues (mappings with asset, partition_key, rule, severity, details, run_id and optionally
    symbol, trade_date) in one transaction. Returns rows inserted."""
    params = [_row(r) for r in rows]
    if not params:
        return 0
    with get_pool(_dsn(dsn)).connection() as conn, conn.transaction(), conn.cursor() as cur:
        cur.executemany(_INSERT, params)
    return len(params)


def record_issues(dsn: str | None, *, asset: str, partition: str | None, rule: str, severity: str,
                  details: Mapping[str, Any], run_id: str | None, symbol: str | None = None,
                  trade_date: date | None = None) -> int:
    """Insert one issue: `rule` broken by `asset` (partition), WARN or ERROR, with `details` as evidence."""
    return record_issue_rows(dsn, [{"asset": asset, "partition_key": partition, "rule": rule, "severity": severity,
                                    "details": details, "run_id": run_id, "symbol": symbol,
                                    "trade_date": trade_date}])


def run_quality(instance: dg.DagsterInstance, run_id: str, dsn: str | None = None) -> str:
    """OK / PARTIAL / FAILED from the run's check evaluations and the issues recorded under its id."""
    worst = OK
    records = instance.get_records_for_run(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION).records
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if not evaluation.passed:
            worst = FAILED if evaluation.severity == dg.AssetCheckSeverity.ERROR else max(worst, PARTIAL, key=_rank)
    if dsn is not None and worst != FAILED:
        with psycopg.connect(dsn) as conn:
            found = {r[0] for r in conn.execute(
                "SELECT DISTINCT severity FROM data_quality_issues WHERE run_id = %s", (run_id,))}
        worst = FAILED if "ERROR" in found else (max(worst, PARTIAL, key=_rank) if "WARN" in found else worst)
    return worst


def _rank(status: str) -> int:
    return (OK, PARTIAL, FAILED).index(status)


def set_run_quality(instance: dg.DagsterInstance, run_id: str, dsn: str | None = None) -> str:
    """Compute the run's quality and store it as the `kis_platform/quality` run tag. Returns the status."""
    status = run_quality(instance, run_id, dsn)
    instance.add_run_tags(run_id, {QUALITY_TAG: status})
    return status
