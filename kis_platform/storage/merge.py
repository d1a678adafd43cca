"""Make a table agree with staged rows while writing only what differs.

Why not DELETE + COPY / a plain INSERT … ON CONFLICT for rows that are already there: rewriting a row costs
more than writing it the first time (each new index entry is checked against the dead twin it replaces, and ON
CONFLICT locks every conflicting row even when nothing changes). Re-running a partition or re-fetching the last
minutes mostly sends rows that are stored already, so the rows are staged in a TEMP table and one join sorts
them into new, changed and (for a window) vanished rows; only those are written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
from psycopg import sql

from kis_platform.storage.copy_in import copy_rows
from kis_platform.storage.prepared_column import Prepared, take

STAGE = "_kis_stage"
DIFF = "_kis_diff"
PROBE = "_kis_probe"
PROBE_ROWS = 1000
ANALYZE_DIFF_ROWS = 10_000


@dataclass(frozen=True)
class Diff:
    new: int = 0
    changed: int = 0
    vanished: int = 0

    @property
    def rows(self) -> int:
        return self.new + self.changed + self.vanished


def _ids(names: Sequence[str], prefix: str = "") -> sql.Composable:
    return sql.SQL(", ").join(sql.SQL(prefix + "{}").format(sql.Identifier(n)) for n in names)


def _match(keys: Sequence[str], left: str, right: str) -> sql.Composable:
    return sql.SQL(" AND ").join(sql.SQL(f"{left}.{{0}} = {right}.{{0}}").format(sql.Identifier(k)) for k in keys)


def _differs(columns: Sequence[str], left: str, right: str) -> sql.Composable:
    if not columns:
        return sql.SQL("false")
    return sql.SQL("({}) IS DISTINCT FROM ({})").format(_ids(columns, left + "."), _ids(columns, right + "."))


def _on_conflict(keys: Sequence[str], updates: Sequence[str], compared: Sequence[str]) -> sql.Composable:
    # Covers a concurrent writer inserting the same key after this write looked.
    action = sql.SQL("DO NOTHING") if not updates else sql.SQL("DO UPDATE SET {} WHERE {}").format(
        sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in updates),
        _differs(compared, "t", "EXCLUDED"))
    return sql.SQL("ON CONFLICT ({}) {}").format(_ids(keys), action)


def stage(conn: psycopg.Connection, table: str, columns: list[str], prepared: list[Prepared], n_rows: int,
          keys: Sequence[str], name: str = STAGE) -> None:
    """COPY the rows into a TEMP table shaped like the target's columns (dropped at commit)."""
    conn.execute(sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT {} FROM {} WITH NO DATA").format(
        sql.Identifier(name), _ids(columns), sql.Identifier(table)))
    copy_rows(conn, sql.Identifier(name), columns, prepared, n_rows)
    # Without statistics the joins plan badly. The key columns are all the joins need, and a 3,000-row sample
    # plans them as well as the default 30,000, which cost 0.2 s per million staged rows (the row count comes
    # from the table's size either way). SET LOCAL: until this write's transaction ends.
    conn.execute("SET LOCAL default_statistics_target = 10")
    conn.execute(sql.SQL("ANALYZE {} ({})").format(sql.Identifier(name), _ids(keys)))


def stale_share(conn: psycopg.Connection, table: str, columns: list[str], keys: Sequence[str],
                compared: Sequence[str], prepared: list[Prepared], n_rows: int) -> float:
    """Share of an evenly spread sample of the rows that the table does not hold yet with the same `compared`
    values (new keys or changed rows: what a write must write). One index probe per sampled row."""
    rows = np.unique(np.linspace(0, n_rows - 1, num=min(n_rows, PROBE_ROWS)).astype(np.int64))
    stage(conn, table, columns, take(prepared, rows), len(rows), keys, name=PROBE)
    compared = [c for c in compared if c not in keys]
    # LATERAL … LIMIT 1 forces the per-row index probe; a plain join may hash the whole table instead.
    stale = conn.execute(sql.SQL(
        "SELECT count(*) FROM {p} s LEFT JOIN LATERAL (SELECT true AS same FROM {t} t WHERE {match} AND NOT "
        "{differs} LIMIT 1) c ON true WHERE c.same IS NULL").format(
        p=sql.Identifier(PROBE), t=sql.Identifier(table), match=_match(keys, "t", "s"),
        differs=_differs(compared, "t", "s"))).fetchone()[0]
    conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(PROBE)))
    return stale / len(rows)


def diff(conn: psycopg.Connection, table: str, columns: list[str], keys: Sequence[str],
         compared_columns: Sequence[str], scope: tuple[sql.Composable, list[Any]] | None = None) -> Diff:
    """Sort the staged rows into DIFF (a TEMP table: `_change` = new | changed | vanished, then `columns`): a
    stored row is changed when one of `compared_columns` differs. With `scope` (a condition on alias t), rows
    of the scope that are not staged are `vanished`."""
    others = [c for c in columns if c not in keys]
    compared = [c for c in compared_columns if c not in keys]
    if scope is None:
        target, params, join = sql.Identifier(table), [], sql.SQL("LEFT JOIN")
    else:
        condition, params = scope
        target = sql.SQL("(SELECT {} FROM {} t WHERE {})").format(
            _ids([*keys, *compared]), sql.Identifier(table), condition)
        join = sql.SQL("FULL JOIN")
    conn.execute(sql.SQL(
        "CREATE TEMP TABLE {diff} ON COMMIT DROP AS "
        "SELECT CASE WHEN t._here IS NULL THEN 'new' WHEN s._here IS NULL THEN 'vanished' ELSE 'changed' END "
        "AS _change, {keys}{others} "
        "FROM (SELECT true AS _here, {cols} FROM {stage}) s {join} (SELECT true AS _here, * FROM {target} t) t "
        "ON {match} WHERE t._here IS NULL OR s._here IS NULL OR {differs}").format(
        diff=sql.Identifier(DIFF), cols=_ids(columns), stage=sql.Identifier(STAGE), join=join, target=target,
        keys=sql.SQL(", ").join(sql.SQL("COALESCE(s.{0}, t.{0}) AS {0}").format(sql.Identifier(k)) for k in keys),
        others=sql.SQL("").join(sql.SQL(", s.{}").format(sql.Identifier(c)) for c in others),
        match=_match(keys, "t", "s"), differs=_differs(compared, "t", "s")), params)
    counts = dict(conn.execute(sql.SQL("SELECT _change, count(*) FROM {} GROUP BY 1").format(
        sql.Identifier(DIFF))).fetchall())
    return Diff(counts.get("new", 0), counts.get("changed", 0), counts.get("vanished", 0))


def apply_diff(conn: psycopg.Connection, table: str, columns: list[str], keys: Sequence[str],
               update_columns: Sequence[str], found: Diff, compared_columns: Sequence[str] | None = None) -> None:
    """Delete the vanished rows, update the changed ones and insert the new ones listed in DIFF.
    `compared_columns` (default: `update_columns`) decide, for a key a concurrent writer inserted meanwhile,
    whether the stored row is changed."""
    t, d = sql.Identifier(table), sql.Identifier(DIFF)
    updates = [c for c in update_columns if c not in keys]
    compared = updates if compared_columns is None else [c for c in compared_columns if c not in keys]
    if found.rows > ANALYZE_DIFF_ROWS:  # without statistics a large diff is joined row by row through the index
        conn.execute(sql.SQL("ANALYZE {} (_change, {})").format(d, _ids(keys)))
    if found.vanished:
        conn.execute(sql.SQL("DELETE FROM {t} t USING {d} d WHERE d._change = 'vanished' AND {match}").format(
            t=t, d=d, match=_match(keys, "t", "d")))
    if found.changed and updates:
        conn.execute(sql.SQL("UPDATE {t} t SET {sets} FROM {d} d WHERE d._change = 'changed' AND {match}").format(
            t=t, d=d, match=_match(keys, "t", "d"),
            sets=sql.SQL(", ").join(sql.SQL("{0} = d.{0}").format(sql.Identifier(c)) for c in updates)))
    if found.new:
        conn.execute(sql.SQL("INSERT INTO {t} AS t ({cols}) SELECT {cols} FROM {d} WHERE _change = 'new' "
                             "{on_conflict}").format(t=t, d=d, cols=_ids(columns), on_conflict=_on_conflict(keys, updates, compared)))


def apply_direct(conn: psycopg.Connection, table: str, columns: list[str], keys: Sequence[str],
                 update_columns: Sequence[str], compared_columns: Sequence[str] | None = None) -> None:
    """Update and insert straight from STAGE, for writes that change most of their rows: listing them in DIFF
    first would copy them once more (upserting 1M changed minute bars: 15-21 s direct, 20-40 s through DIFF).
    A stored row is updated when one of `compared_columns` (default: `update_columns`) differs."""
    t, st = sql.Identifier(table), sql.Identifier(STAGE)
    updates = [c for c in update_columns if c not in keys]
    compared = updates if compared_columns is None else [c for c in compared_columns if c not in keys]
    if updates:
        conn.execute(sql.SQL("UPDATE {t} t SET {sets} FROM {s} s WHERE {match} AND {differs}").format(
            t=t, s=st, match=_match(keys, "t", "s"), differs=_differs(compared, "t", "s"),
            sets=sql.SQL(", ").join(sql.SQL("{0} = s.{0}").format(sql.Identifier(c)) for c in updates)))
    conn.execute(sql.SQL("INSERT INTO {t} AS t ({cols}) SELECT {cols} FROM {s} s WHERE NOT EXISTS "
                         "(SELECT 1 FROM {t} t WHERE {match}) {on_conflict}").format(
        t=t, s=st, cols=_ids(columns), match=_match(keys, "t", "s"), on_conflict=_on_conflict(keys, updates, compared)))


def diff_span(conn: psycopg.Connection, time_column: str) -> tuple[Any, Any, list[str] | None]:
    """First and last time and the symbols of the rows in DIFF (what the resampled bars must follow)."""
    return conn.execute(sql.SQL("SELECT min({0}), max({0}), array_agg(DISTINCT symbol) FROM {1}").format(
        sql.Identifier(time_column), sql.Identifier(DIFF))).fetchone()
