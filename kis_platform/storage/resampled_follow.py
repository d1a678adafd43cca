"""Keep the resampled bars in step with the minute_bars rows a write touched, in the write's transaction.

Plain PostgreSQL only (refresh_resampled_bars exists there); on TimescaleDB continuous aggregates follow by
policy and refresh_resampled does nothing inside a transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import psycopg

from kis_platform.storage import merge, window
from kis_platform.storage.resample import refresh_resampled

# Tables whose derived (resampled) tables must follow every write, and their time column.
RESAMPLED_FROM = {"minute_bars": "bar_start"}


def follow_window(conn: psycopg.Connection, table: str, time_column: str, start: Any, end: Any,
                  extra_filter: Mapping[str, Any]) -> None:
    """After a window was rewritten: recompute its buckets (for the filtered symbols, if any)."""
    if RESAMPLED_FROM.get(table) != time_column:
        return
    symbols = None
    if "symbol" in extra_filter:
        many = window.filter_values(extra_filter["symbol"])
        symbols = many if many is not None else [extra_filter["symbol"]]
    _refresh(conn, start, end, symbols)


def follow_diff(conn: psycopg.Connection, table: str, time_column: str | None, found: merge.Diff) -> None:
    """After a merge: recompute the buckets of the rows that changed; a write that changed nothing leaves the
    resampled bars alone."""
    if not found.rows or time_column is None or RESAMPLED_FROM.get(table) != time_column:
        return
    first, last, symbols = merge.diff_span(conn, time_column)
    _refresh(conn, first, last + pd.Timedelta(microseconds=1), symbols)


def follow_rows(conn: psycopg.Connection, table: str, df: pd.DataFrame) -> None:
    """After rows were written straight from the stage: recompute the buckets from their first to last time,
    for their symbols."""
    time_column = RESAMPLED_FROM.get(table)
    if time_column is None or time_column not in df.columns or df.empty:
        return
    times = df[time_column]
    symbols = sorted(df["symbol"].unique()) if "symbol" in df.columns else None
    _refresh(conn, times.min(), times.max() + pd.Timedelta(microseconds=1), symbols)


def _refresh(conn: psycopg.Connection, start: Any, end: Any, symbols: Sequence[str] | None) -> None:
    available = conn.execute(
        "SELECT to_regprocedure('refresh_resampled_bars(timestamptz, timestamptz, text[])') IS NOT NULL"
    ).fetchone()[0]
    if available:
        refresh_resampled(conn, start, end, symbols)
