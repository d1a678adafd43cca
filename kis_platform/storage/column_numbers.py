"""Type checks for integer, floating-point/numeric and boolean columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kis_platform.storage.prepared_column import Prepared
from kis_platform.storage.table_info import ColumnInfo, column_error, sample

INT_RANGES = {"int2": (-(2**15), 2**15 - 1), "int4": (-(2**31), 2**31 - 1), "int8": (-(2**63), 2**63 - 1)}
FLOAT_TYPES = {"float4", "float8", "numeric"}


def _nulls(mask: np.ndarray) -> np.ndarray | None:
    return mask if mask.any() else None


def ints(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise column_error(col, table, "got booleans; expected whole numbers")
    mask = None
    if series.hasnans or isinstance(dtype, pd.api.extensions.ExtensionDtype):
        mask = _nulls(series.isna().to_numpy())
    if pd.api.types.is_integer_dtype(dtype):
        values = series.to_numpy(dtype=np.int64, na_value=0)
    elif pd.api.types.is_float_dtype(dtype):
        raw = series.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isnan(raw) | (np.isfinite(raw) & (raw == np.floor(raw)))
        if not ok.all():
            raise column_error(col, table, f"got non-integer numbers such as {raw[~ok][:3].tolist()}; expected whole "
                                           "numbers (round or convert units explicitly)")
        values = np.nan_to_num(raw, nan=0.0).astype(np.int64)
    else:
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("integer", "empty"):
            hint = " (parse numbers from the API's strings before writing)" if kind == "string" else ""
            raise column_error(col, table, f"got {kind} values such as {sample(series)}; expected whole numbers{hint}")
        values = np.array([0 if v is None or v is pd.NA else int(v) for v in series.to_numpy(dtype=object)],
                          dtype=np.int64)
    lo, hi = INT_RANGES[col.typname]
    if col.typname != "int8" and len(values) and (values.min() < lo or values.max() > hi):
        raise column_error(col, table, f"values out of range [{lo}, {hi}]")
    return Prepared(col, col.typname, values, mask)


def floats(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        raise column_error(col, table, "got booleans; expected numbers")
    if pd.api.types.is_numeric_dtype(dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        return Prepared(col, "float8" if col.typname != "float4" else "float4", values, _nulls(np.isnan(values)))
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind not in ("decimal", "integer", "floating", "mixed-integer-float", "empty"):
        raise column_error(col, table, f"got {kind} values such as {sample(series)}; expected numbers")
    return Prepared(col, "numeric_obj", series.to_numpy(dtype=object), _nulls(series.isna().to_numpy()))


def bools(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    if not pd.api.types.is_bool_dtype(series.dtype):
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("boolean", "empty"):
            raise column_error(col, table, f"got {kind} values such as {sample(series)}; expected booleans")
    mask = _nulls(series.isna().to_numpy())
    values = series.to_numpy(dtype=bool, na_value=False) if mask is not None else series.to_numpy(dtype=bool)
    return Prepared(col, "bool", values, mask)
