"""Check a DataFrame against a table's columns before writing, and turn each column into plain arrays.

Every error names the table and column and says what was expected, so an asset author sees
"minute_bars.symbol (text): got integers such as 5930 — did the parser drop leading zeros?" instead of a COPY
failure deep inside PostgreSQL. The per-type checks live in column_numbers, column_text and column_times.
"""

from __future__ import annotations

import pandas as pd

from kis_platform.storage import column_numbers, column_text, column_times
from kis_platform.storage.prepared_column import Prepared, python_value, take
from kis_platform.storage.table_info import ColumnInfo, TableInfo, WriteError, column_error, table_info

__all__ = ["ColumnInfo", "Prepared", "TableInfo", "WriteError", "check_columns", "check_keys", "prepare_column",
           "prepare_frame", "python_value", "table_info", "take"]


def check_columns(info: TableInfo, df: pd.DataFrame) -> None:
    """Every DataFrame column exists and is writable; every required column is present."""
    unknown = [c for c in df.columns if c not in info.columns]
    if unknown:
        raise WriteError(
            f"{info.name}: DataFrame columns {unknown} do not exist in the table; "
            f"its columns are {list(info.columns)}"
        )
    generated = [c for c in df.columns if info.columns[c].generated]
    if generated:
        raise WriteError(f"{info.name}: columns {generated} are computed by the database; drop them from the DataFrame")
    missing = [c.name for c in info.columns.values() if c.not_null and not c.has_default and not c.generated
               and c.name not in df.columns]
    if missing:
        raise WriteError(f"{info.name}: required columns {missing} are missing from the DataFrame")


def check_keys(info: TableInfo, df: pd.DataFrame, keys: list[str]) -> None:
    """`keys` is a primary key or unique constraint of the table, present in `df` and unique there."""
    if frozenset(keys) not in info.unique_keys:
        raise WriteError(f"{info.name}: key_columns {keys} are not a primary key or unique constraint; unique keys "
                         f"are {[sorted(k) for k in info.unique_keys]}")
    missing = [k for k in keys if k not in df.columns]
    if missing:
        raise WriteError(f"{info.name}: key columns {missing} are missing from the DataFrame")
    duplicated = df.duplicated(subset=keys, keep=False)
    if duplicated.any():
        sample = df.loc[duplicated, keys].head(3).to_dict("records")
        raise WriteError(f"{info.name}: {int(duplicated.sum())} rows share a key {keys}, e.g. {sample}; "
                         "deduplicate before writing")


def prepare_column(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    """Check one column against its SQL type and convert it; raises WriteError naming the column."""
    t = col.typname
    if t in column_numbers.INT_RANGES:
        prepared = column_numbers.ints(series, col, table)
    elif t in column_numbers.FLOAT_TYPES:
        prepared = column_numbers.floats(series, col, table)
    elif t == "bool":
        prepared = column_numbers.bools(series, col, table)
    elif t in column_text.TEXT_TYPES:
        prepared = column_text.text(series, col, table)
    elif t in ("json", "jsonb"):
        prepared = column_text.json_text(series, col, table)
    elif t == "timestamptz":
        prepared = column_times.timestamps(series, col, table)
    elif t == "date":
        prepared = column_times.dates(series, col, table)
    else:
        prepared = column_text.other(series, col, table)
    if col.not_null and prepared.mask is not None:
        raise column_error(col, table, f"{int(prepared.mask.sum())} NULL/NaN values in a NOT NULL column")
    return prepared


def prepare_frame(info: TableInfo, df: pd.DataFrame) -> list[Prepared]:
    """Check every column of `df` against `info` and convert it (WriteError on the first problem)."""
    check_columns(info, df)
    return [prepare_column(df[c], info.columns[c], info.name) for c in df.columns]
