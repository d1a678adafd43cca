"""The one writer every asset uses to put rows into the market database.

Why a writer (used from inside the asset) and not a Dagster IO manager: raw ingest must validate rows *before*
they reach the database and refuse to write bad ones (a blocking asset check runs only after the IO manager
has written), and intraday slices need upserts keyed on (symbol, bar_start) rather than "replace whatever this
partition was". Both are explicit calls here, in the asset body, next to the validation that guards them
(dagster-notes §4: DOP and hooli also write their warehouse tables through a resource).

Two ways to write, each one transaction, so a failure or a killed connection leaves the previous rows intact:

* `replace_window(table, df, time_column, start, end, extra_filter)`: afterwards the rows of `table` with
  `time_column` in [start, end) (and matching `extra_filter`, e.g. {"source": "KRX"} or {"symbol": [...]}) are
  exactly the rows of `df`. For whole partitions and backfills: re-running never duplicates, and rows that
  vanished upstream go too. An empty window is filled by DELETE + COPY straight into the table. An occupied
  one is merged: COPY into a TEMP … ON COMMIT DROP table, delete the window's rows that are not staged,
  update rows whose values differ, insert new keys. Measured on 1M minute bars, DELETE + COPY over existing
  rows took about 1.5x a plain COPY (each new index entry is checked against the dead row it replaces),
  while the merge of an unchanged partition writes nothing at all.
* `upsert(table, df, key_columns)`: COPY into the TEMP table, update changed rows, then INSERT … ON CONFLICT
  (keys) DO UPDATE for new keys (ON CONFLICT also covers a concurrent run inserting the same key). For slices
  (the latest minutes of today): existing rows are updated, others kept; identical rows are not rewritten.

Rows travel as binary COPY built with numpy (see copy_binary.py); tables with `numeric` columns use text COPY.
Before anything is sent, every column is checked against the table (frames.py) and errors name the column.
Writes to minute_bars also refresh the resampled bars of the touched window in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from kis_platform.storage import copy_binary
from kis_platform.storage.frames import Prepared, TableInfo, WriteError, prepare_frame, python_value, table_info
from kis_platform.storage.pool import get_pool
from kis_platform.storage.resample import refresh_resampled

__all__ = ["MarketWriter", "RawResponseLike", "WriteError", "get_writer"]

_CHUNK = 1 << 20
# Tables whose derived (resampled) tables must follow every write.
_RESAMPLED_FROM = {"minute_bars": "bar_start"}


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
        self._has_refresh: bool | None = None

    # -- public API -------------------------------------------------------------------------------------------

    def replace_window(
        self,
        table: str,
        df: pd.DataFrame,
        time_column: str,
        start: dt.datetime | dt.date,
        end: dt.datetime | dt.date,
        extra_filter: Mapping[str, Any] | None = None,
    ) -> int:
        """Atomically replace the rows of `table` with `time_column` in [start, end) (and matching
        `extra_filter`: column -> value, or column -> list of values) by the rows of `df`. Returns rows written.
        Every row of `df` must itself fall inside the window and match the filter."""
        extra_filter = dict(extra_filter or {})
        with get_pool(self.dsn).connection() as conn, conn.transaction():
            info = self._info(conn, table)
            for column in [time_column, *extra_filter]:
                if column not in info.columns:
                    raise WriteError(f"{table}: filter column {column!r} does not exist in the table")
            prepared = prepare_frame(info, df)
            self._check_window(info, df, prepared, time_column, start, end, extra_filter)
            where = [sql.SQL("t.{} >= %s AND t.{} < %s").format(sql.Identifier(time_column), sql.Identifier(time_column))]
            params: list[Any] = [start, end]
            for column, value in extra_filter.items():
                if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index, pd.Series)):
                    where.append(sql.SQL("t.{} = ANY(%s)").format(sql.Identifier(column)))
                    params.append(list(value))
                else:
                    where.append(sql.SQL("t.{} = %s").format(sql.Identifier(column)))
                    params.append(value)
            scope = sql.SQL(" AND ").join(where)
            key = self._merge_key(info, df, time_column, extra_filter)
            occupied = conn.execute(
                sql.SQL("SELECT EXISTS (SELECT 1 FROM {} t WHERE {})").format(sql.Identifier(table), scope), params
            ).fetchone()[0]
            if not occupied or key is None:
                conn.execute(sql.SQL("DELETE FROM {} t WHERE ").format(sql.Identifier(table)) + scope, params)
                self._copy(conn, sql.Identifier(table), list(df.columns), prepared, len(df))
            else:
                self._stage(conn, table, list(df.columns), prepared, len(df))
                # Counting can prove "nothing vanished" only when the key pins rows to the filter as well.
                self._merge(conn, info, list(df.columns), key, delete_scope=(scope, params),
                            countable=set(extra_filter) <= set(key))
            written = len(df)
            if table in _RESAMPLED_FROM and time_column == _RESAMPLED_FROM[table]:
                symbols = extra_filter.get("symbol")
                if symbols is not None and isinstance(symbols, str):
                    symbols = [symbols]
                self._refresh(conn, start, end, symbols)
        return written

    def upsert(
        self,
        table: str,
        df: pd.DataFrame,
        key_columns: Sequence[str],
        update_columns: Sequence[str] | None = None,
    ) -> int:
        """Insert the rows of `df`, updating rows whose `key_columns` (a primary key or unique constraint of
        `table`) already exist. `update_columns` defaults to every non-key column of `df`. Returns the number of
        rows of `df` now stored (rows identical to what is stored are not physically rewritten)."""
        keys = list(key_columns)
        with get_pool(self.dsn).connection() as conn, conn.transaction():
            info = self._info(conn, table)
            if frozenset(keys) not in info.unique_keys:
                raise WriteError(
                    f"{table}: key_columns {keys} are not a primary key or unique constraint; unique keys are "
                    f"{[sorted(k) for k in info.unique_keys]}"
                )
            missing = [k for k in keys if k not in df.columns]
            if missing:
                raise WriteError(f"{table}: key columns {missing} are missing from the DataFrame")
            prepared = prepare_frame(info, df)
            duplicated = df.duplicated(subset=keys, keep=False)
            if duplicated.any():
                sample = df.loc[duplicated, keys].head(3).to_dict("records")
                raise WriteError(f"{table}: {int(duplicated.sum())} rows share a key {keys}, e.g. {sample}; "
                                 "deduplicate before writing")
            if df.empty:
                return 0
            columns = list(df.columns)
            self._stage(conn, table, columns, prepared, len(df))
            self._merge(conn, info, columns, keys, update_columns=update_columns)
            written = len(df)
            time_column = _RESAMPLED_FROM.get(table)
            if time_column and time_column in df.columns:
                times = df[time_column]
                self._refresh(conn, times.min(), times.max() + pd.Timedelta(microseconds=1),
                              sorted(df["symbol"].unique()) if "symbol" in df.columns else None)
        return written

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
            info = self._info(conn, "raw_responses")
            prepared = prepare_frame(info, df)
            return self._copy(conn, sql.Identifier("raw_responses"), list(df.columns), prepared, len(df))

    # -- internals --------------------------------------------------------------------------------------------

    def _info(self, conn: psycopg.Connection, table: str) -> TableInfo:
        if table not in self._tables:
            self._tables[table] = table_info(conn, table)
        return self._tables[table]

    def _copy(self, conn: psycopg.Connection, target: sql.Composable, columns: list[str],
              prepared: list[Prepared], n_rows: int) -> int:
        if n_rows == 0:
            return 0
        cols = sql.SQL(", ").join(map(sql.Identifier, columns))
        with conn.cursor() as cur:
            if copy_binary.supported(prepared):
                data = copy_binary.encode(prepared, n_rows)
                with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(target, cols)) as copy:
                    for i in range(0, len(data), _CHUNK):
                        copy.write(data[i: i + _CHUNK])
            else:
                with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, cols)) as copy:
                    for i in range(n_rows):
                        copy.write_row([python_value(p, i) for p in prepared])
        return n_rows

    def _stage(self, conn: psycopg.Connection, table: str, columns: list[str], prepared: list[Prepared],
               n_rows: int) -> None:
        """COPY the rows into a temporary table shaped like the target's columns (dropped at commit)."""
        conn.execute(
            sql.SQL("CREATE TEMP TABLE _kis_stage ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
                sql.SQL(", ").join(map(sql.Identifier, columns)), sql.Identifier(table))
        )
        self._copy(conn, sql.Identifier("_kis_stage"), columns, prepared, n_rows)
        conn.execute("ANALYZE _kis_stage")  # a temp table has no statistics: without them joins plan badly
        # The joins against the stage hash it; a large write would otherwise spill its hash table to disk.
        conn.execute("SET LOCAL work_mem = '256MB'")

    def _merge(self, conn: psycopg.Connection, info: TableInfo, columns: list[str], keys: list[str],
               update_columns: Sequence[str] | None = None,
               delete_scope: tuple[sql.Composable, list[Any]] | None = None, countable: bool = False) -> int:
        """Make the target agree with _kis_stage: optionally delete rows of the scope that are not staged, update
        rows whose values differ, insert the rest. Returns rows changed (deleted rows not counted).

        Why not DELETE + COPY / a plain ON CONFLICT: re-writing rows that are already there costs twice a COPY
        (every new index entry is checked against the dead twin it replaces, and ON CONFLICT locks each
        conflicting row even when nothing changes); joining against the stage writes only what differs."""
        table = sql.Identifier(info.name)
        updates = [c for c in (update_columns or columns) if c not in keys]
        match = sql.SQL(" AND ").join(sql.SQL("t.{0} = s.{0}").format(sql.Identifier(k)) for k in keys)
        cols = sql.SQL(", ").join(map(sql.Identifier, columns))
        differs = sql.SQL("({}) IS DISTINCT FROM ({})").format(
            sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in updates),
            sql.SQL(", ").join(sql.SQL("s.{}").format(sql.Identifier(c)) for c in updates))
        changed = 0
        if delete_scope is not None:
            scope, params = delete_scope
            before = conn.execute(sql.SQL("SELECT count(*) FROM {} t WHERE {}").format(table, scope),
                                  params).fetchone()[0]
        if updates:
            cur = conn.execute(sql.SQL("UPDATE {} t SET {} FROM _kis_stage s WHERE {} AND {}").format(
                table, sql.SQL(", ").join(sql.SQL("{0} = s.{0}").format(sql.Identifier(c)) for c in updates),
                match, differs))
            changed += max(cur.rowcount, 0)
            excluded = sql.SQL("DO UPDATE SET {} WHERE {}").format(
                sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in updates),
                sql.SQL("({}) IS DISTINCT FROM ({})").format(
                    sql.SQL(", ").join(sql.SQL("t.{}").format(sql.Identifier(c)) for c in updates),
                    sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(sql.Identifier(c)) for c in updates)))
        else:
            excluded = sql.SQL("DO NOTHING")
        # New keys; ON CONFLICT covers a concurrent writer inserting the same key after our UPDATE.
        cur = conn.execute(sql.SQL(
            "INSERT INTO {t} AS t ({cols}) SELECT {cols} FROM _kis_stage s "
            "WHERE NOT EXISTS (SELECT 1 FROM {t} t WHERE {match}) ON CONFLICT ({keys}) {action}").format(
            t=table, cols=cols, match=match, keys=sql.SQL(", ").join(map(sql.Identifier, keys)), action=excluded))
        inserted = max(cur.rowcount, 0)
        if delete_scope is not None:
            # Rows of the window that are not staged vanished upstream. Counting is an index-only scan, the
            # anti-join a full pass: run the latter only when the counts say there is something to delete.
            staged = conn.execute("SELECT count(*) FROM _kis_stage").fetchone()[0]
            if not countable or before > staged - inserted:
                conn.execute(sql.SQL("DELETE FROM {} t WHERE {} AND NOT EXISTS (SELECT 1 FROM _kis_stage s WHERE {})")
                             .format(table, scope, match), params)
        return changed + inserted

    @staticmethod
    def _merge_key(info: TableInfo, df: pd.DataFrame, time_column: str,
                   extra_filter: Mapping[str, Any]) -> list[str] | None:
        """A unique key present in `df` that pins every row to the window (it contains the time column), so the
        merge cannot touch rows outside it; None = use DELETE + COPY."""
        for key in info.unique_keys:
            if time_column in key and key <= set(df.columns):
                return sorted(key, key=list(info.columns).index)
        return None

    def _check_window(self, info: TableInfo, df: pd.DataFrame, prepared: list[Prepared], time_column: str,
                      start: Any, end: Any, extra_filter: Mapping[str, Any]) -> None:
        """Rows outside the window or filter would survive the DELETE's twin on the next run: refuse them."""
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
            allowed = list(value) if isinstance(value, (list, tuple, set, frozenset, np.ndarray, pd.Index,
                                                        pd.Series)) else [value]
            bad = ~df[column].isin(allowed)
            if bad.any():
                raise WriteError(f"{info.name}: {int(bad.sum())} rows have {column} outside the filter {allowed[:5]}, "
                                 f"e.g. {df.loc[bad, column].head(3).tolist()}")

    def _refresh(self, conn: psycopg.Connection, start: Any, end: Any, symbols: Sequence[str] | None) -> None:
        if self._has_refresh is None:
            self._has_refresh = conn.execute(
                "SELECT to_regprocedure('refresh_resampled_bars(timestamptz, timestamptz, text[])') IS NOT NULL"
            ).fetchone()[0]
        if self._has_refresh:
            refresh_resampled(conn, start, end, symbols)


_writers: dict[str, MarketWriter] = {}


def get_writer(dsn: str | None = None) -> MarketWriter:
    """The writer for `dsn` (default: the platform's market database)."""
    if dsn is None:
        from kis_platform.storage.database import market_dsn

        dsn = market_dsn()
    if dsn not in _writers:
        _writers[dsn] = MarketWriter(dsn)
    return _writers[dsn]
