"""One DataFrame column after its type check: plain arrays ready for COPY."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import numpy as np

from kis_platform.storage.table_info import ColumnInfo

_UNIX_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Prepared:
    """`values`: int64 (ints, microseconds since 1970 for timestamptz, days since 1970 for date), float64, bool
    or object array; `mask`: True = NULL, or None when there are none. Text-like columns also carry `codes` (row
    -> index into `uniques`, -1 = NULL): codes repeat (symbols, sources), so each distinct value is encoded once."""

    info: ColumnInfo
    kind: str
    values: np.ndarray
    mask: np.ndarray | None
    codes: np.ndarray | None = None
    uniques: np.ndarray | None = None


def take(columns: list[Prepared], rows: np.ndarray) -> list[Prepared]:
    """The same columns restricted to `rows` (positions)."""
    return [replace(p, values=p.values[rows], mask=None if p.mask is None else p.mask[rows],
                    codes=None if p.codes is None else p.codes[rows]) for p in columns]


def python_value(p: Prepared, i: int) -> Any:
    """Row i of a prepared column as a Python object for text COPY (None for NULL)."""
    if p.mask is not None and p.mask[i]:
        return None
    v = p.values[i]
    if p.kind == "timestamptz":
        return _UNIX_EPOCH + dt.timedelta(microseconds=int(v))
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
