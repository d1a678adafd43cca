"""The window of a `replace_window` call: its checks, and the SQL condition selecting its rows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from psycopg import sql

from kis_platform.storage.table_info import TableInfo, WriteError

_MANY = (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)


def filter_values(value: Any) -> list[Any] | None:
    """The allowed values of one extra_filter entry when it is a collection, else None (a single value)."""
    return list(value) if isinstance(value, _MANY) else None


def scope(time_column: str, start: Any, end: Any,
          extra_filter: Mapping[str, Any]) -> tuple[sql.Composable, list[Any]]:
    """`t.<time> >= start AND t.<time> < end AND <filters>` (table alias t) and its parameters."""
    time = sql.Identifier(time_column)
    where = [sql.SQL("t.{} >= %s AND t.{} < %s").format(time, time)]
    params: list[Any] = [start, end]
    for column, value in extra_filter.items():
        many = filter_values(value)
        where.append(sql.SQL("t.{} = ANY(%s)" if many is not None else "t.{} = %s").format(sql.Identifier(column)))
        params.append(many if many is not None else value)
    return sql.SQL(" AND ").join(where), params


def merge_key(info: TableInfo, df: pd.DataFrame, time_column: str) -> list[str] | None:
    """A unique key present in `df` that pins every row to the window (it contains the time column), so a merge
    cannot touch rows outside it; None = only DELETE + COPY is safe."""
    for key in info.unique_keys:
        if time_column in key and key <= set(df.columns):
            return sorted(key, key=list(info.columns).index)
    return None


def check_window(info: TableInfo, df: pd.DataFrame, time_column: str, start: Any, end: Any,
                 extra_filter: Mapping[str, Any]) -> None:
    """Rows outside the window or filter would survive the next run's DELETE of the window: refuse them."""
    for column in [time_column, *extra_filter]:
        if column not in info.columns:
            raise WriteError(f"{info.name}: filter column {column!r} does not exist in the table")
    if time_column not in df.columns:
        raise WriteError(f"{info.name}: time column {time_column!r} is missing from the DataFrame")
    kind = info.columns[time_column].typname
    if kind == "timestamptz":
        for name, bound in (("start", start), ("end", end)):
            if not isinstance(bound, dt.datetime) or bound.tzinfo is None:
                raise WriteError(f"{info.name}: window {name} must be a timezone-aware datetime for "
                                 f"timestamptz column {time_column!r}, got {bound!r}")
    elif kind == "date" and (isinstance(start, dt.datetime) or isinstance(end, dt.datetime)
                             or not isinstance(start, dt.date) or not isinstance(end, dt.date)):
        raise WriteError(f"{info.name}: window bounds must be datetime.date for date column {time_column!r}")
    if not start < end:
        raise WriteError(f"{info.name}: empty window [{start}, {end})")
    if df.empty:
        return
    values = df[time_column]
    if kind == "date":
        values = pd.to_datetime(values).dt.date
    outside = ~((values >= start) & (values < end))
    if outside.any():
        raise WriteError(f"{info.name}: {int(outside.sum())} rows have {time_column} outside the window "
                         f"[{start}, {end}), e.g. {values[outside].head(3).tolist()}")
    for column, value in extra_filter.items():
        if column not in df.columns:
            continue
        many = filter_values(value)
        allowed = many if many is not None else [value]
        bad = ~df[column].isin(allowed)
        if bad.any():
            raise WriteError(f"{info.name}: {int(bad.sum())} rows have {column} outside the filter {allowed[:5]}, "
                             f"e.g. {df.loc[bad, column].head(3).tolist()}")
