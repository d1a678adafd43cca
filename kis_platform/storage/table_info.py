"""What the writer knows about a target table: its columns (types, nullability, defaults) and unique keys."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import psycopg
from psycopg import sql


class WriteError(ValueError):
    """Rows were refused before anything was written; the message names the table, the column and the fix."""


@dataclass(frozen=True)
class ColumnInfo:
    name: str
    typname: str  # pg_type.typname: int8, text, timestamptz, numeric, ...
    type_sql: str  # format_type(): "numeric(12,2)", "timestamp with time zone"
    not_null: bool
    has_default: bool
    generated: bool  # GENERATED ALWAYS AS (...) STORED or GENERATED ALWAYS AS IDENTITY: cannot be written


@dataclass(frozen=True)
class TableInfo:
    name: str
    columns: dict[str, ColumnInfo]
    unique_keys: list[frozenset[str]]


def table_info(conn: psycopg.Connection, table: str) -> TableInfo:
    """Read the columns and unique keys of `table` from the catalog; WriteError if it does not exist."""
    ident = sql.Identifier(table).as_string(conn)
    oid = conn.execute("SELECT to_regclass(%s)::oid", (ident,)).fetchone()[0]
    if oid is None:
        raise WriteError(f"table {table!r} does not exist in this database (are the migrations applied?)")
    rows = conn.execute(
        """SELECT a.attname, t.typname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  a.atthasdef OR a.attidentity <> '',
                  a.attgenerated <> '' OR a.attidentity = 'a'
             FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
            WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum""",
        (oid,),
    ).fetchall()
    keys = conn.execute(
        """SELECT array_agg(a.attname) FROM pg_index i
             JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
            WHERE i.indrelid = %s AND i.indisunique GROUP BY i.indexrelid""",
        (oid,),
    ).fetchall()
    columns = {r[0]: ColumnInfo(r[0], r[1], r[2], r[3], r[4], r[5]) for r in rows}
    return TableInfo(table, columns, [frozenset(k[0]) for k in keys])


def column_error(info: ColumnInfo, table: str, what: str) -> WriteError:
    """The error for one column: "minute_bars.symbol (text): got integers ..."."""
    return WriteError(f"{table}.{info.name} ({info.type_sql}): {what}")


def sample(values: object) -> str:
    """Up to three non-null values of a Series or array, for error messages."""
    return ", ".join(repr(v) for v in pd.Series(values).dropna().head(3).tolist())
