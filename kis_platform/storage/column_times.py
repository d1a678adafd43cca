"""Type checks for timestamptz and date columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kis_platform.storage.prepared_column import Prepared
from kis_platform.storage.table_info import ColumnInfo, column_error, sample


def timestamps(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(series.dtype):
            raise column_error(col, table, "got timezone-naive datetimes; localize them first, e.g. "
                                           "s.dt.tz_localize('Asia/Seoul')")
        kind = pd.api.types.infer_dtype(series, skipna=True)
        if kind not in ("datetime", "empty"):
            raise column_error(col, table, f"got {kind} values such as {sample(series)}; expected timezone-aware "
                                           "datetimes")
        if kind == "datetime" and any(v.tzinfo is None for v in series.dropna()):
            raise column_error(col, table, "got timezone-naive datetimes; attach a timezone (Asia/Seoul or UTC)")
        series = pd.to_datetime(series, utc=True)
    # The instants do not depend on the zone: no tz_convert needed, only the unit.
    utc = series.array.as_unit("us")
    mask = utc.isna()
    values = utc.asi8.copy()  # microseconds since 1970-01-01 UTC
    return Prepared(col, "timestamptz", values, mask if mask.any() else None)


def dates(series: pd.Series, col: ColumnInfo, table: str) -> Prepared:
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        raise column_error(col, table, "got timezone-aware timestamps; a trading day is a date: use "
                                       "s.dt.tz_convert('Asia/Seoul').dt.date")
    if pd.api.types.is_datetime64_dtype(series.dtype):
        if not (series.dropna() == series.dropna().dt.normalize()).all():
            raise column_error(col, table, "got datetimes with a time of day; expected dates")
        days = series.to_numpy(dtype="datetime64[D]")
    else:
        # Trading days repeat across rows: check and convert each distinct value once.
        try:
            codes, uniques = pd.factorize(series.to_numpy(dtype=object), use_na_sentinel=True)
        except TypeError:  # unhashable values: certainly not dates
            codes, uniques = None, series
        kind = pd.api.types.infer_dtype(uniques, skipna=True)
        if kind not in ("date", "empty"):
            raise column_error(col, table, f"got {kind} values such as {sample(series)}; expected datetime.date "
                                           "values")
        distinct = np.array([np.datetime64(v, "D") for v in uniques], dtype="datetime64[D]")
        days = np.where(codes >= 0, distinct[np.maximum(codes, 0)] if len(distinct) else np.datetime64("NaT"),
                        np.datetime64("NaT"))
    mask = np.isnat(days)
    values = days.astype(np.int64)  # days since 1970-01-01
    return Prepared(col, "date", values, mask if mask.any() else None)
