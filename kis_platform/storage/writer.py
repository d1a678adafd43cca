"""The one writer every asset uses to put rows into the market database.

Why a writer (used from inside the asset) and not a Dagster IO manager: raw ingest must validate rows *before*
they reach the database and refuse to write bad ones (a blocking asset check runs only after the IO manager
has written), and intraday slices need upserts keyed on (symbol, bar_start) rather than "replace whatever this
partition was". Both are explicit calls here, in the asset body, next to the validation that guards them
(dagster-notes §4: DOP and hooli also write their warehouse tables through a resource).

Every call is one transaction, so a failure or a killed connection leaves the previous rows intact. Before
anything is sent, every column is checked against the table (frames.py) and errors name the column. Rows travel
as binary COPY built with numpy (copy_binary.py); tables with `numeric` columns use text COPY. Writes to
minute_bars also refresh the resampled bars of what changed, in the same transaction.

* `replace_window`: afterwards the rows of the window (and `extra_filter`) are exactly the rows of `df`. An
  empty window, or one whose stored rows mostly differ from `df` (judged on a sample of PROBE_ROWS rows), is
  rewritten by DELETE + COPY. Otherwise the rows are merged (merge.py): only vanished, changed and new rows are
  written, so re-running a partition that did not change writes nothing.
* `upsert`: rows of `df` are inserted or, where the key exists with other values, updated; others are kept.
  Rows identical to the stored ones are not rewritten (merged as above, or, when the sample says most rows
  are new or changed, updated and inserted straight from the staged rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import pandas as pd
import psycopg
from psycopg import sql

from kis_platform.storage import merge, window
from kis_platform.storage.copy_in import copy_rows
from kis_platform.storage.frames import TableInfo, WriteError, check_keys, prepare_frame, table_info
from kis_platform.storage.pool import get_pool
from kis_platform.storage.resampled_follow import RESAMPLED_FROM, follow_diff, follow_rows, follow_window

__all__ = ["MarketWriter", "RawResponseLike", "WriteError", "get_writer"]

# When at least this share of a sample of the rows is not stored yet with the same values, listing the rows
# that differ first does not pay: replace_window uses DELETE + COPY, upsert updates/inserts straight from the
# stage (1M minute bars: merging with 10% changed took 5.7-7.4 s, DELETE + COPY of all 8-11 s).
REWRITE_SHARE = 0.2
# Below this, updating even every row costs little: merge without sampling first.
REWRITE_MIN_ROWS = 10 * merge.PROBE_ROWS


class RawResponseLike(Protocol):
    """What write_raw_responses needs (kis_platform.sources.raw.RawResponse has these attributes)."""

    source: str
    tr_id: str | None
    path: str
    params: Any
    status: int
    body: str
    fetched_at: dt.datetime


class MarketWriter:
    """Writes DataFrames into the market database through one pooled connection per call."""

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self._tables: dict[str, TableInfo] = {}

    def replace_window(self, table: str, df: pd.DataFrame, time_column: str, start: dt.datetime | dt.date,
                       end: dt.datetime | dt.date, extra_filter: Mapping[str, Any] | None = None) -> int:
        """Atomically replace the rows of `table` with `time_column` in [start, end) (and matching
        `extra_filter`: column -> value, or column -> list of values) by the rows of `df`. Returns rows written.
        Every row of `df` must itself fall inside the window and match the filter."""
        extra_filter = dict(extra_filter or {})
        columns = list(df.columns)
        with get_pool(self.dsn).connection() as conn, conn.transaction():
            info = self._info(conn, table)
            prepared = prepare_frame(info, df)
            window.check_window(info, df, time_column, start, end, extra_filter)
            scope, params = window.scope(time_column, start, end, extra_filter)
            key = window.merge_key(info, df, time_column)
            occupied = conn.execute(sql.SQL("SELECT EXISTS (SELECT 1 FROM {} t WHERE {})").format(
                sql.Identifier(table), scope), params).fetchone()[0]
            if not occupied or key is None or df.empty or (
                    len(df) >= REWRITE_MIN_ROWS
                    and merge.stale_share(conn, table, columns, key, columns, prepared, len(df)) >= REWRITE_SHARE):
                conn.execute(sql.SQL("DELETE FROM {} t WHERE ").format(sql.Identifier(table)) + scope, params)
                copy_rows(conn, sql.Identifier(table), columns, prepared, len(df))
                follow_window(conn, table, time_column, start, end, extra_filter)
            else:
                merge.stage(conn, table, columns, prepared, len(df), key)
                found = merge.diff(conn, table, columns, key, columns, scope=(scope, params))
                merge.apply_diff(conn, table, columns, key, columns, found)
                follow_diff(conn, table, time_column, found)
        return len(df)

    def upsert(self, table: str, df: pd.DataFrame, key_columns: Sequence[str],
               update_columns: Sequence[str] | None = None, ignored_columns: Sequence[str] = ()) -> int:
        """Insert the rows of `df`, updating rows whose `key_columns` (a primary key or unique constraint of
        `table`) already exist. `update_columns` defaults to every non-key column of `df`. Returns the number of
        rows of `df` now stored (rows identical to what is stored are not physically rewritten).

        `ignored_columns` (such as `fetched_at`) are written with a new or changed row, but a difference in them
        alone does not make a stored row changed: the stored row, with its old values of those columns, stays."""
        keys, columns = list(key_columns), list(df.columns)
        updates = list(update_columns) if update_columns is not None else columns
        compared = [c for c in updates if c not in ignored_columns]
        with get_pool(self.dsn).connection() as conn, conn.transaction():
            info = self._info(conn, table)
            check_keys(info, df, keys)
            prepared = prepare_frame(info, df)
            if df.empty:
                return 0
            direct = len(df) >= REWRITE_MIN_ROWS and merge.stale_share(
                conn, table, columns, keys, compared, prepared, len(df)) >= REWRITE_SHARE
            merge.stage(conn, table, columns, prepared, len(df), keys)
            if direct:
                merge.apply_direct(conn, table, columns, keys, updates, compared)
                follow_rows(conn, table, df)
            else:
                found = merge.diff(conn, table, columns, keys, compared)
                merge.apply_diff(conn, table, columns, keys, updates, found, compared)
                follow_diff(conn, table, RESAMPLED_FROM.get(table), found)
        return len(df)

    def write_raw_responses(self, records: Iterable[RawResponseLike]) -> int:
        """Append source responses to the landing zone (raw_responses). Returns rows written."""
        rows = [
            {"source": r.source, "tr_id": r.tr_id, "path": r.path, "params": r.params if r.params is not None else {},
             "status": int(r.status), "body": r.body, "fetched_at": r.fetched_at}
            for r in records
        ]
        if not rows:
            return 0
        df = pd.DataFrame(rows)
        df["fetched_at"] = pd.to_datetime(df["fetched_at"], utc=True) if all(
            r["fetched_at"].tzinfo is not None for r in rows) else df["fetched_at"]
        with get_pool(self.dsn).connection() as conn, conn.transaction():
            prepared = prepare_frame(self._info(conn, "raw_responses"), df)
            return copy_rows(conn, sql.Identifier("raw_responses"), list(df.columns), prepared, len(df))

    def _info(self, conn: psycopg.Connection, table: str) -> TableInfo:
        if table not in self._tables:
            self._tables[table] = table_info(conn, table)
        return self._tables[table]


_writers: dict[str, MarketWriter] = {}


def get_writer(dsn: str | None = None) -> MarketWriter:
    """The writer for `dsn` (default: the platform's market database)."""
    if dsn is None:
        from kis_platform.storage.database import market_dsn

        dsn = market_dsn()
    if dsn not in _writers:
        _writers[dsn] = MarketWriter(dsn)
    return _writers[dsn]
