"""The raw-ingest guard: validate a frame against its table schema *inside* the asset, before writing.

A blocking asset check that runs after the asset cannot stop bad rows: they are already in the table
(dagster-notes §3.2). So every ingest asset declares the check and evaluates it itself:

    @dg.asset(partitions_def=TRADING_DAYS, check_specs=[schema_check_spec("minute_bars")])
    def minute_bars(context, database: MarketDatabase):  # context unannotated: see below
        df = fetch_and_shape(...)
        yield from guarded_write(context, df, MinuteBarSchema,
                                 lambda ok: database.writer().replace_window("minute_bars", ok, "bar_start", lo, hi),
                                 dsn=database.dsn())

`guarded_write` runs `guard`; on failure it records one data_quality_issues row per (rule, symbol, day), yields
the failed `schema_guard` check result and raises `dg.Failure` — nothing is written. On success it writes and
yields a MaterializeResult carrying the passed check result. With `drop_invalid=True` (for snapshots that cannot
be fetched again, e.g. option chains) the bad rows are recorded and dropped, the rest written, and the check
fails at WARN. Call `guard` directly for anything else; its result has everything the helper uses.

Leave the asset's `context` parameter unannotated (or drop `from __future__ import annotations` in that module):
Dagster 1.13 rejects the string annotation PEP 563 produces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa

from kis_platform.quality.guard_result import GuardResult, build_result
from kis_platform.quality.issues import record_issue_rows
from kis_platform.schemas.ticks import tick_markets

SCHEMA_CHECK = "schema_guard"

__all__ = ["SCHEMA_CHECK", "GuardResult", "guard", "guarded_write", "schema_check_spec"]


def schema_check_spec(asset_key: dg.AssetKey | str | list[str],
                      partitions_def: dg.PartitionsDefinition | None = None) -> dg.AssetCheckSpec:
    """The blocking `schema_guard` check every raw-ingest asset declares in `check_specs`. Pass the asset's
    `partitions_def` to get per-partition check status in the UI (a Dagster 1.13 preview feature)."""
    return dg.AssetCheckSpec(
        SCHEMA_CHECK, asset=asset_key, blocking=True, partitions_def=partitions_def,
        description="Rows were validated against the table's schema before writing (types, OHLC order, tick "
                    "grid, session times, duplicate keys, codes, greeks). Failed = nothing was written.",
    )


def guard(df: pd.DataFrame, model: type[pa.DataFrameModel], asset_key: dg.AssetKey | str | list[str], *,
          partition_key: str | None = None, markets: Mapping[str, str] | None = None,
          extra_failures: Mapping[str, pd.Series] | None = None) -> GuardResult:
    """Validate `df` (lazily: every rule on every row) and summarise the outcome as a `GuardResult`.

    `markets` (symbol -> KOSPI/KOSDAQ/KONEX/ETF) makes the tick rule strict for each symbol's market.
    `extra_failures` adds frame rules computed by the caller (rule name -> boolean Series, True = row fails,
    on df's index), e.g. {"price_limit_30pct": ~daily_move_within_limit(df.close, prev_close)} to block on it.
    The frame is re-indexed 0..n-1; `valid_rows` comes back coerced to the table's types.
    """
    key = dg.AssetKey.from_coercible(asset_key)
    frame = df.reset_index(drop=True)
    extra = {k: pd.Series(v).reset_index(drop=True).astype(bool) for k, v in (extra_failures or {}).items()}
    failures: pd.DataFrame | None = None
    with tick_markets(markets):
        try:
            coerced = model.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            coerced, failures = exc.data, exc.failure_cases
    return build_result(frame, coerced, failures, extra, key, model, partition_key)


def guarded_write(context: dg.AssetExecutionContext, df: pd.DataFrame, model: type[pa.DataFrameModel],
                  write: Callable[[pd.DataFrame], int], *, dsn: str | None = None,
                  markets: Mapping[str, str] | None = None, drop_invalid: bool = False,
                  extra_failures: Mapping[str, pd.Series] | None = None,
                  metadata: Mapping[str, Any] | None = None,
                  asset_key: dg.AssetKey | None = None) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:
    """Guard, then write with `write(valid_rows) -> rows written`, yielding the results Dagster needs.
    `asset_key` names the asset when the step materializes several (a multi_asset)."""
    partition = context.partition_key if context.has_partition_key else None
    key = asset_key or context.asset_key
    g = guard(df, model, key, partition_key=partition, markets=markets, extra_failures=extra_failures)
    if not g.passed:
        record_issue_rows(dsn, g.issue_rows(run_id=context.run.run_id, dropped=drop_invalid))
        if not drop_invalid:
            context.log.error(g.failure_message)
            yield g.check_result
            raise dg.Failure(description=g.failure_message, metadata={"failures_by_rule": g.failures_by_rule})
        g = g.dropped()
        context.log.warning(g.failure_message)
    written = write(g.valid_rows)
    yield dg.MaterializeResult(
        asset_key=key, metadata={"rows_written": written, "rows_refused": g.num_failing_rows, **(metadata or {})},
        check_results=[g.check_result],
    )
