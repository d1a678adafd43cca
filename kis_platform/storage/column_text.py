"""Type checks for text and JSON columns.

Values are factorized here (codes + distinct values) because text columns of market data repeat a handful of
values (symbols, sources, sessions): the type check and the COPY encoder then look at each distinct value once
instead of once per row.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from kis_platform.storage.prepared_column import Prepared
from kis_platform.storage.table_info import ColumnInfo, column_error, sample

TEXT_TYPES = {"text", "varchar", "bpchar", "name"}


def _factorize(values: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    try:
        return pd.factorize(values, use_na_sentinel=True)
    except TypeError:  # unhashable values (lists, dicts): certainly not text
        return None


def text(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    values = series.to_numpy(dtype=object)
    factorized = _factorize(values)
    kind = pd.api.types.infer_dtype(series if factorized is None else factorized[1], skipna=True)
    if kind not in ("string", "empty"):
        hint = " — did the parser drop leading zeros? keep codes as strings" if kind in ("integer", "floating") else ""
        raise column_error(col, table, f"got {kind} values such as {sample(series)}; expected strings{hint}")
    codes, uniques = factorized
    mask = codes < 0
    return Prepared(col, "text", values, mask if mask.any() else None, codes, uniques)


def json_text(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    """json/jsonb: a str is taken as JSON text already; anything else is serialised."""
    raw = series.to_numpy(dtype=object)
    mask = series.isna().to_numpy() if series.dtype != object else np.array([v is None for v in raw], dtype=bool)
    values = np.array([v if isinstance(v, str) or v is None else json.dumps(v, ensure_ascii=False, default=str)
                       for v in raw], dtype=object)
    codes, uniques = pd.factorize(np.where(mask, None, values), use_na_sentinel=True)
    return Prepared(col, "json", values, mask if mask.any() else None, codes, uniques)


def other(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    """Types the platform does not use in market tables: PostgreSQL parses their text form (text COPY)."""
    mask = series.isna().to_numpy()
    return Prepared(col, "other", series.to_numpy(dtype=object), mask if mask.any() else None)
