"""Schemas of the quality tables: data_quality_issues, completeness, reconciliation_mismatches."""

from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from kis_platform.schemas.base import (
    SOURCES,
    Day,
    Instant,
    Int,
    TableSchema,
    Text,
    tz_field,
)

SEVERITIES = ["WARN", "ERROR"]
REASONS = ["COMPLETE", "MISSING", "HALTED", "SUSPENDED", "NO_TRADES", "NOT_YET_PUBLISHED", "SOURCE_ERROR",
           "NOT_LISTED", "HOLIDAY", "BEYOND_RETENTION"]
FIELDS = ["open", "high", "low", "close", "volume", "turnover_krw", "market_cap_krw", "listed_shares", "missing_row"]
PARTIES = [*SOURCES, "MINUTES"]


class DataQualityIssueSchema(TableSchema):
    """One rule violation found by a check (the id and created_at are filled by the database)."""

    asset: Series[Text] = pa.Field()
    partition_key: Series[Text] = pa.Field(nullable=True, required=False)
    rule: Series[Text] = pa.Field()
    severity: Series[Text] = pa.Field(isin=SEVERITIES)
    symbol: Series[Text] = pa.Field(nullable=True, required=False)
    trade_date: Series[Day] = pa.Field(nullable=True, required=False)
    details: Series[object] = pa.Field(required=False)
    run_id: Series[Text] = pa.Field(nullable=True, required=False)
    created_at: Series[Instant] = tz_field(required=False)


class CompletenessSchema(TableSchema):
    """One ledger line: expected vs present rows of a data set, day and symbol ('*' = whole data set)."""

    dataset: Series[Text] = pa.Field()
    trade_date: Series[Day] = pa.Field()
    symbol: Series[Text] = pa.Field(required=False)
    expected_rows: Series[Int] = pa.Field(ge=0)
    present_rows: Series[Int] = pa.Field(ge=0)
    reason: Series[Text] = pa.Field(isin=REASONS)
    details: Series[object] = pa.Field(required=False)
    updated_at: Series[Instant] = tz_field(required=False)

    @pa.dataframe_check(name="complete_means_complete")
    def complete_means_complete(cls, df):  # type: ignore[no-untyped-def]
        return (df["reason"] != "COMPLETE") | (df["present_rows"] >= df["expected_rows"])


class ReconciliationMismatchSchema(TableSchema):
    """Two sources disagreeing on one field of one daily bar beyond tolerance."""

    trade_date: Series[Day] = pa.Field()
    symbol: Series[Text] = pa.Field()
    field: Series[Text] = pa.Field(isin=FIELDS)
    source_a: Series[Text] = pa.Field(isin=PARTIES)
    source_b: Series[Text] = pa.Field(isin=PARTIES)
    value_a: Series[float] = pa.Field(nullable=True, required=False)
    value_b: Series[float] = pa.Field(nullable=True, required=False)
    diff_pct: Series[float] = pa.Field(nullable=True, required=False)
    tolerance_pct: Series[float] = pa.Field(required=False, ge=0)
    severity: Series[Text] = pa.Field(isin=SEVERITIES)
    run_id: Series[Text] = pa.Field(nullable=True, required=False)
    created_at: Series[Instant] = tz_field(required=False)

    @pa.dataframe_check(name="sources_differ")
    def sources_differ(cls, df):  # type: ignore[no-untyped-def]
        return df["source_a"] != df["source_b"]
