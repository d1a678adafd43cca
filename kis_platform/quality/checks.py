"""Asset-check factories the domain assets attach: completeness (ledger) and freshness.

Each check reads only its partition's window of the table. Attach them next to the asset:

    checks = [completeness_check("minute_bars", "minute_bars", TRADING_DAYS),
              freshness_check("minute_bars", timedelta(minutes=3), partitions_def=TRADING_DAYS)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import dagster as dg
import pandas as pd
import psycopg

from kis_platform import calendar
from kis_platform.calendar import KST
from kis_platform.quality.completeness import compute_completeness, write_completeness
from kis_platform.quality.expected import DERIVATIVES
from kis_platform.quality.windows import DATASETS, partition_day, partition_window

DsnFn = Callable[[], str]
UNEXPLAINED = ("MISSING", "SOURCE_ERROR", "BEYOND_RETENTION")


def default_dsn() -> str:
    from kis_platform.storage.database import market_dsn

    return market_dsn()


def sample_md(df: pd.DataFrame, rows: int = 20) -> dg.MetadataValue:
    return dg.MetadataValue.md(df.head(rows).astype(str).to_markdown(index=False, disable_numparse=True)
                               if len(df) else "(none)")


def check_partition_key(context: dg.AssetCheckExecutionContext) -> str:
    """The check's partition key (today's date when unpartitioned).

    The check functions below leave `context` unannotated: with `from __future__ import annotations` the
    annotation is a string, and Dagster 1.13 rejects any `context` annotation that is not the class itself.
    """
    return context.partition_key if context.has_partition_key else datetime.now(KST).date().isoformat()


def completeness_check(asset_key: dg.CoercibleToAssetKey, dataset: str,
                       partitions_def: dg.PartitionsDefinition | None = None, *,
                       severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.WARN, threshold: float = 0.99,
                       symbols_fn: Callable[[date], Iterable[str]] | None = None, dsn_fn: DsnFn = default_dsn,
                       hints_fn: Callable[[date], Mapping[str, Any]] | None = None,
                       now_fn: Callable[[], datetime] | None = None) -> dg.AssetChecksDefinition:
    """`completeness`: measure the partition's day into the ledger; fail (at `severity`) when the unexplained
    shortfall (MISSING, SOURCE_ERROR, BEYOND_RETENTION) exceeds 1 - `threshold` of the expected rows.
    `hints_fn(day)` may return compute_completeness keywords: halted, suspended, source_errors."""
    if dataset not in DATASETS:
        raise ValueError(f"unknown data set {dataset!r}; known: {sorted(DATASETS)}")

    @dg.asset_check(asset=asset_key, name="completeness", partitions_def=partitions_def, blocking=False,
                    description=f"{dataset}: expected rows (calendar x master x watch list) vs present rows for the "
                                f"partition's trading day, written to the completeness ledger.")
    def _completeness(context) -> dg.AssetCheckResult:
        dsn, day = dsn_fn(), partition_day(check_partition_key(context))
        ledger = compute_completeness(dsn, dataset, day, symbols_fn(day) if symbols_fn else None,
                                      now=now_fn() if now_fn else None, **(hints_fn(day) if hints_fn else {}))
        write_completeness(dsn, ledger)
        lines, total = ledger.iloc[:-1], ledger.iloc[-1]
        short = lines[lines["reason"] != "COMPLETE"]
        unexplained = short[short["reason"].isin(UNEXPLAINED)]
        missing = int((unexplained["expected_rows"] - unexplained["present_rows"]).clip(lower=0).sum())
        expected = int(total["expected_rows"])
        ratio = 1.0 if expected == 0 else 1 - missing / expected
        return dg.AssetCheckResult(
            passed=ratio >= threshold, severity=severity,
            metadata={"rows_checked": len(lines), "expected_rows": expected, "present_rows": int(total["present_rows"]),
                      "unexplained_missing_rows": missing, "completeness": round(ratio, 6), "threshold": threshold,
                      "num_failures": len(unexplained), "reason": str(total["reason"]),
                      "incomplete_by_reason": dg.MetadataValue.json(short["reason"].value_counts().to_dict()),
                      "sample": sample_md(short.drop(columns=["details"]))},
        )

    return _completeness


def freshness_check(asset_key: dg.CoercibleToAssetKey, max_lag: timedelta, *,
                    partitions_def: dg.PartitionsDefinition | None = None, table: str | None = None,
                    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.WARN, dsn_fn: DsnFn = default_dsn,
                    now_fn: Callable[[], datetime] = lambda: datetime.now(KST)) -> dg.AssetChecksDefinition:
    """`freshness`: during the session, the newest row of the partition's day is at most `max_lag` behind the
    last closed minute (after the close: behind the close). Catches a feed that stopped (no new bars)."""
    key = dg.AssetKey.from_coercible(asset_key)
    ds = DATASETS[table or key.path[-1]]
    if ds.date_column:
        raise ValueError(f"{ds.name} is daily: use completeness_check for it")

    @dg.asset_check(asset=key, name="freshness", partitions_def=partitions_def, blocking=False,
                    description=freshness_description(ds.name, max_lag))
    def _freshness(context) -> dg.AssetCheckResult:
        return freshness_result(dsn_fn(), ds.name, check_partition_key(context), max_lag, now_fn(), severity)

    return _freshness


def freshness_description(table: str, max_lag: timedelta) -> str:
    return f"{table}: newest row at most {max_lag} behind the session's last closed minute."


def freshness_result(dsn: str, table: str, partition_key: str, max_lag: timedelta, now: datetime,
                     severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.WARN) -> dg.AssetCheckResult:
    """The `freshness` verdict for the day of `partition_key` at `now`: freshness_check's body, for an asset
    that reports the check from its own step."""
    ds = DATASETS[table]
    day = partition_day(partition_key)
    lo, hi = partition_window(day.isoformat())
    with psycopg.connect(dsn) as conn:
        rows, newest = conn.execute(f"SELECT count(*), max({ds.time_column}) FROM {ds.name} WHERE "
                                    f"{ds.time_column} >= %s AND {ds.time_column} < %s", (lo, hi)).fetchone()
    meta = {"rows_checked": rows, "newest": str(newest), "max_lag_seconds": max_lag.total_seconds()}
    if not calendar.is_session(day) or now < calendar.session_bounds(day)[0] + max_lag:
        return dg.AssetCheckResult(passed=True, metadata={**meta, "note": "session not running yet"})
    # the last bar that can exist is the one that closed before `now` (or the close bar after the close)
    close = calendar.session_bounds(day)[1] + (DERIVATIVES if ds.name == "futures_minute_bars" else timedelta(0))
    reference = min(now - timedelta(minutes=1), close)
    lag = (reference - newest) if newest is not None else reference - calendar.session_bounds(day)[0]
    return dg.AssetCheckResult(passed=newest is not None and lag <= max_lag, severity=severity,
                               metadata={**meta, "lag_seconds": lag.total_seconds(), "num_failures": int(
                                   newest is None or lag > max_lag)})
