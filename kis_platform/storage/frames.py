"""Check a DataFrame against a table's columns before writing, and turn each column into plain arrays.

Every error names the table and column and says what was expected, so an asset author sees
"minute_bars.symbol (text): got integers such as 5930 — did the parser drop leading zeros?" instead of a COPY
failure deep inside PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

INT_RANGES = {"int2": (-(2**15), 2**15 - 1), "int4": (-(2**31), 2**31 - 1), "int8": (-(2**63), 2**63 - 1)}
FLOAT_TYPES = {"float4", "float8", "numeric"}
TEXT_TYPES = {"text", "varchar", "bpchar", "name"}


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


@dataclass
class Prepared:
    """One column ready for COPY: `values` (numpy array or list) and `mask` (True = NULL) or None."""

    info: ColumnInfo
    kind: str
    values: Any
    mask: np.ndarray | None


def table_info(conn: psycopg.Connection, table: str) -> TableInfo:
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


def _fail(info: ColumnInfo, table: str, what: str) -> WriteError:
    return WriteError(f"{table}.{info.name} ({info.type_sql}): {what}")


def _sample(series: pd.Series) -> str:
    return ", ".join(repr(v) for v in series.dropna().head(3).tolist())


def _ints(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    dtype = series.dtype
    mask = series.isna().to_numpy() if series.hasnans or isinstance(dtype, pd.api.extensions.ExtensionDtype) else None
    if mask is not None and not mask.any():
        mask = None
    if pd.api.types.is_bool_dtype(dtype):
        raise _fail(col, table, "got booleans; expected whole numbers")
    if pd.api.types.is_integer_dtype(dtype):
        values = series.to_numpy(dtype=np.int64, na_value=0)
    elif pd.api.types.is_float_dtype(dtype):
        raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isnan(raw) | (np.isfinite(raw) & (raw == np.floor(raw)))
        if not ok.all():
            raise _fail(col, table, f"got non-integer numbers such as {raw[~ok][:3].tolist()}; expected whole numbers "
                                    "(round or convert units explicitly)")
        values = np.nan_to_num(raw, nan=0.0).astype(np.int64)
    else:
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("integer", "empty"):
            hint = " (parse numbers from the API's strings before writing)" if kind == "string" else ""
            raise _fail(col, table, f"got {kind} values such as {_sample(series)}; expected whole numbers{hint}")
        values = series.to_numpy(dtype=object)
        values = np.array([0 if v is None or v is pd.NA else int(v) for v in values], dtype=np.int64)
    lo, hi = INT_RANGES[col.typname]
    if col.typname != "int8" and len(values) and (values.min() < lo or values.max() > hi):
        raise _fail(col, table, f"values out of range [{lo}, {hi}]")
    return Prepared(col, col.typname, values, mask)


def _floats(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise _fail(col, table, "got booleans; expected numbers")
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        mask = np.isnan(values)
        return Prepared(col, "float8" if col.typname != "float4" else "float4", values, mask if mask.any() else None)
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind not in ("decimal", "integer", "floating", "mixed-integer-float", "empty"):
        raise _fail(col, table, f"got {kind} values such as {_sample(series)}; expected numbers")
    mask = series.isna().to_numpy()
    return Prepared(col, "numeric_obj", series.to_numpy(dtype=object), mask if mask.any() else None)


def _text(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind not in ("string", "empty"):
        hint = " — did the parser drop leading zeros? keep codes as strings" if kind in ("integer", "floating") else ""
        raise _fail(col, table, f"got {kind} values such as {_sample(series)}; expected strings{hint}")
    mask = series.isna().to_numpy()
    return Prepared(col, "text", series.to_numpy(dtype=object), mask if mask.any() else None)


def _bools(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    if not pd.api.types.is_bool_dtype(series.dtype):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("boolean", "empty"):
            raise _fail(col, table, f"got {kind} values such as {_sample(series)}; expected booleans")
    mask = series.isna().to_numpy()
    values = series.to_numpy(dtype=bool, na_value=False) if mask.any() else series.to_numpy(dtype=bool)
    return Prepared(col, "bool", values, mask if mask.any() else None)


def _timestamps(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(series.dtype):
            raise _fail(col, table, "got timezone-naive datetimes; localize them first, e.g. "
                                    "s.dt.tz_localize('Asia/Seoul')")
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("datetime", "empty"):
            raise _fail(col, table, f"got {kind} values such as {_sample(series)}; expected timezone-aware datetimes")
        if kind == "datetime" and any(v.tzinfo is None for v in series.dropna()):
            raise _fail(col, table, "got timezone-naive datetimes; attach a timezone (Asia/Seoul or UTC)")
        series = pd.to_datetime(series, utc=True)
    utc = series.dt.tz_convert("UTC").dt.as_unit("us")
    mask = utc.isna().to_numpy()
    values = utc.array.asi8.copy()  # microseconds since 1970-01-01 UTC
    return Prepared(col, "timestamptz", values, mask if mask.any() else None)


def _dates(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        raise _fail(col, table, "got timezone-aware timestamps; a trading day is a date: use s.dt.tz_convert("
                                "'Asia/Seoul').dt.date")
    if pd.api.types.is_datetime64_dtype(series.dtype):
        if not (series.dropna() == series.dropna().dt.normalize()).all():
            raise _fail(col, table, "got datetimes with a time of day; expected dates")
        days = series.to_numpy(dtype="datetime64[D]")
    else:
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("date", "empty"):
            raise _fail(col, table, f"got {kind} values such as {_sample(series)}; expected datetime.date values")
        # Trading days repeat across rows: convert each distinct value once.
        codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        distinct = np.array([np.datetime64(v, "D") for v in uniques], dtype="datetime64[D]")
        days = np.where(codes >= 0, distinct[np.maximum(codes, 0)] if len(distinct) else np.datetime64("NaT"),
                        np.datetime64("NaT"))
    mask = np.isnat(days)
    values = days.astype(np.int64)  # days since 1970-01-01
    return Prepared(col, "date", values, mask if mask.any() else None)


def _json(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    mask = series.isna().to_numpy() if series.dtype != object else np.array([v is None for v in series], dtype=bool)
    # A str is taken as JSON text already; anything else is serialised.
    values = np.array([v if isinstance(v, str) or v is None else json.dumps(v, ensure_ascii=False, default=str)
                       for v in series.to_numpy(dtype=object)], dtype=object)
    return Prepared(col, "json", values, mask if mask.any() else None)


def prepare_column(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    """Check one column against its SQL type and convert it; raises WriteError naming the column."""
    t = col.typname
    if t in INT_RANGES:
        prepared = _ints(series, col, table)
    elif t in FLOAT_TYPES:
        prepared = _floats(series, col, table)
    elif t in TEXT_TYPES:
        prepared = _text(series, col, table)
    elif t == "bool":
        prepared = _bools(series, col, table)
    elif t == "timestamptz":
        prepared = _timestamps(series, col, table)
    elif t == "date":
        prepared = _dates(series, col, table)
    elif t in ("json", "jsonb"):
        prepared = _json(series, col, table)
    else:  # types the platform does not use in market tables: let PostgreSQL parse the text form
        mask = series.isna().to_numpy()
        prepared = Prepared(col, "other", series.to_numpy(dtype=object), mask if mask.any() else None)
    if col.not_null and prepared.mask is not None:
        raise _fail(col, table, f"{int(prepared.mask.sum())} NULL/NaN values in a NOT NULL column")
    return prepared


def prepare_frame(info: TableInfo, df: pd.DataFrame) -> list[Prepared]:
    check_columns(info, df)
    return [prepare_column(df[c], info.columns[c], info.name) for c in df.columns]


def python_value(p: Prepared, i: int) -> Any:
    """Row i of a prepared column as a Python object for text COPY (None for NULL)."""
    if p.mask is not None and p.mask[i]:
        return None
    v = p.values[i]
    if p.kind == "timestamptz":
        return dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(microseconds=int(v))
    if p.kind == "date":
        return dt.date(1970, 1, 1) + dt.timedelta(days=int(v))
    if p.kind in ("int2", "int4", "int8"):
        return int(v)
    if p.kind in ("float8", "float4"):
        return float(v)
    if p.kind == "numeric_obj":
        return v if isinstance(v, Decimal) else Decimal(str(v))
    if p.kind == "bool":
        return bool(v)
    return v
