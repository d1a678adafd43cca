"""Materialization metadata every asset shows in the UI: row count, symbols, time range, a preview."""

from __future__ import annotations

from typing import Any

import dagster as dg
import pandas as pd


def frame_metadata(df: pd.DataFrame, *, time_column: str | None = None, symbol_column: str | None = None,
                   preview_rows: int = 10) -> dict[str, Any]:
    meta: dict[str, Any] = {"dagster/row_count": len(df)}
    if symbol_column and symbol_column in df and len(df):
        meta["symbols"] = int(df[symbol_column].nunique())
    if time_column and time_column in df and len(df):
        meta["first"] = str(df[time_column].min())
        meta["last"] = str(df[time_column].max())
    if len(df):
        meta["preview"] = dg.MetadataValue.md(df.head(preview_rows).to_markdown(index=False))
    return meta
