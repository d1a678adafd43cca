"""Turning pandera's failure cases into a GuardResult: counts by stable rule name, a sample, check metadata."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import dagster as dg
import pandas as pd
import pandera.pandas as pa

SAMPLE_ROWS = 20
# pandera's built-in check names carry their arguments ("isin(['C', 'P'])"); issues need stable names.
_BUILTIN = {"column_in_schema": "unknown_column", "column_in_dataframe": "required_column", "not_nullable": "not_null",
            "dtype": "dtype", "coerce_dtype": "dtype", "isin": "value_allowed", "str_matches": "code_format",
            "greater_than": "value_range", "greater_than_or_equal_to": "value_range", "less_than": "value_range",
            "less_than_or_equal_to": "value_range", "in_range": "value_range", "field_uniqueness": "no_duplicate_keys",
            "multiple_fields_uniqueness": "no_duplicate_keys", "column_in_dataframe_required": "required_column"}


def rule_name(check: Any) -> str:
    name = re.split(r"[(\s]", str(check), maxsplit=1)[0]
    return _BUILTIN.get(name, name)


@dataclass(frozen=True)
class GuardResult:
    """Outcome of guarding one frame: `passed`, the rows that may be written, and what to tell Dagster."""

    passed: bool
    valid_rows: pd.DataFrame
    invalid_rows: pd.DataFrame  # failing rows (original values) with a `rules` column
    failures_by_rule: dict[str, int]  # rule -> failing rows
    rows_checked: int
    num_failing_rows: int
    check_result: dg.AssetCheckResult
    failure_message: str
    asset: str = ""
    partition_key: str | None = None
    table: str = field(default="")

    def issue_rows(self, *, run_id: str | None, dropped: bool = False) -> list[dict[str, Any]]:
        """data_quality_issues rows: one per (rule, symbol, trade_date), with count and up to 5 sample rows."""
        out: list[dict[str, Any]] = []
        bad = self.invalid_rows.explode("rules")
        sym = bad["symbol"] if "symbol" in bad.columns else pd.Series(None, index=bad.index, dtype=object)
        day = bad["trade_date"] if "trade_date" in bad.columns else pd.Series(None, index=bad.index, dtype=object)
        keys = pd.DataFrame({"rule": bad["rules"], "symbol": sym.astype(object), "trade_date": day.astype(object)})
        for (rule, symbol, trade_date), grp in keys.groupby(["rule", "symbol", "trade_date"], dropna=False, sort=True):
            rows = grp.index.unique()  # explode repeats a row's index once per rule it breaks
            sample = self.invalid_rows.loc[rows].drop(columns="rules").head(5)
            out.append({
                "asset": self.asset, "partition_key": self.partition_key, "rule": rule,
                "severity": "WARN" if dropped else "ERROR",  # follows the check: refused write vs dropped rows
                "symbol": None if pd.isna(symbol) else str(symbol),
                "trade_date": None if pd.isna(trade_date) else pd.Timestamp(trade_date).date(),
                "details": {"check": "schema_guard", "table": self.table, "failing_rows": len(rows),
                            "action": "row dropped" if dropped else "nothing written",
                            "sample": sample.astype(str).to_dict("records")},
                "run_id": run_id,
            })
        return out

    def dropped(self) -> GuardResult:
        """The same result for a write that keeps the valid rows: the check fails at WARN, not ERROR."""
        message = self.failure_message.replace("nothing was written", "those rows were dropped, the rest written")
        check = dg.AssetCheckResult(asset_key=self.check_result.asset_key, check_name=self.check_result.check_name,
                                    passed=False, severity=dg.AssetCheckSeverity.WARN,
                                    metadata={**self.check_result.metadata, "summary": dg.MetadataValue.text(message)},
                                    description=message)
        return replace(self, check_result=check, failure_message=message)


def _per_row(frame: pd.DataFrame, failures: pd.DataFrame | None, extra: dict[str, pd.Series]) -> pd.Series:
    """Rule names per failing row index; schema-wide failures (no index) are charged to every row."""
    rules: dict[int, set[str]] = {}
    if failures is not None and len(failures):
        for check, index in zip(failures["check"], failures["index"]):
            targets = frame.index if index is None or pd.isna(index) else [int(index)]
            for i in targets:
                rules.setdefault(int(i), set()).add(rule_name(check))
    for name, mask in extra.items():
        for i in mask[mask].index:
            rules.setdefault(int(i), set()).add(name)
    return pd.Series({i: sorted(r) for i, r in rules.items()}, dtype=object)


def build_result(frame: pd.DataFrame, coerced: pd.DataFrame, failures: pd.DataFrame | None,
                 extra: dict[str, pd.Series], key: dg.AssetKey, model: type[pa.DataFrameModel],
                 partition_key: str | None) -> GuardResult:
    table = key.to_user_string()
    per_row = _per_row(frame, failures, extra)
    n, bad = len(frame), len(per_row)
    counts = per_row.explode().value_counts().sort_index() if bad else pd.Series(dtype=int)
    by_rule = {str(k): int(v) for k, v in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))}
    invalid = frame.loc[per_row.index].assign(rules=per_row) if bad else frame.head(0).assign(rules=[])
    schema_wide = failures is not None and failures["index"].isna().any()
    valid = coerced.drop(index=per_row.index) if bad and not schema_wide else (coerced.head(0) if bad else coerced)
    listing = ", ".join(f"{r} ({c:,})" for r, c in by_rule.items())
    summary = (f"{table}: all {n:,} rows pass {model.__name__}" if not bad else
               f"{table}: {bad:,} of {n:,} rows break {len(by_rule)} rule{'s' if len(by_rule) != 1 else ''}: "
               f"{listing}; nothing was written")
    sample = invalid.head(SAMPLE_ROWS).astype(str)
    metadata: dict[str, Any] = {
        "rows_checked": dg.MetadataValue.int(n), "num_failing_rows": dg.MetadataValue.int(bad),
        "failures_by_rule": dg.MetadataValue.json(by_rule), "schema": dg.MetadataValue.text(model.__name__),
        "summary": dg.MetadataValue.text(summary),
    }
    if bad:
        metadata["failing_rows"] = dg.MetadataValue.md(sample.to_markdown(index=True, disable_numparse=True))
    if partition_key is not None:
        metadata["partition"] = dg.MetadataValue.text(partition_key)
    check = dg.AssetCheckResult(asset_key=key, check_name="schema_guard", passed=not bad, metadata=metadata,
                                severity=dg.AssetCheckSeverity.ERROR, description=summary)
    return GuardResult(passed=not bad, valid_rows=valid.reset_index(drop=True), invalid_rows=invalid,
                       failures_by_rule=by_rule, rows_checked=n, num_failing_rows=bad, check_result=check,
                       failure_message=summary, asset=table, partition_key=partition_key, table=table)
