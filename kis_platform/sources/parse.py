"""Turning source rows (every value a string) into typed pandas columns.

A column spec is `(name, source_key, kind)`. Kinds: "int" → Int64, "float" → Float64, "str" → string, "date"
(YYYYMMDD) → datetime.date objects, "yn" → boolean (Y/N). A trailing "?" lets the key be absent (null column).
Empty strings (and KRX "-") become nulls. A missing key, a non-string value or unreadable number raises
MalformedResponse naming the TR and the field, never a KeyError and never a silently empty frame.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any

import pandas as pd

from kis_platform.sources.errors import MalformedResponse

Spec = Sequence[tuple[str, str, str]]
KST = "Asia/Seoul"
DTYPES = {"int": "Int64", "float": "Float64", "str": "string", "date": "object", "yn": "boolean"}
_INT = re.compile(r"^[+-]?\d+$")
_NULLS = ("", "-")


def _convert(value: str, kind: str) -> Any:
    v = value.strip().replace(",", "")
    if v in _NULLS:
        return None
    if kind == "int":
        if _INT.match(v):
            return int(v)
        f = float(v)  # "12.00" for an integer field: accept only whole numbers
        if not f.is_integer():
            raise ValueError(v)
        return int(f)
    if kind == "float":
        return float(v)
    if kind == "date":
        return date(int(v[0:4]), int(v[4:6]), int(v[6:8])) if len(v) == 8 and v.isdigit() else _bad(v)
    if kind == "yn":
        return {"Y": True, "N": False}.get(v.upper(), None)
    return value.strip()


def _bad(v: str) -> Any:
    raise ValueError(v)


def output(data: dict[str, Any], key: str, tr_id: str, kind: type = list, raw: str = "") -> Any:
    """`data[key]`, checked to be a list of objects (kind=list) or an object (kind=dict)."""
    if key not in data:
        raise MalformedResponse(f"response has no {key!r}", tr_id=tr_id, field=key, raw=raw)
    value = data[key]
    if kind is list and isinstance(value, dict) and not value:
        return []  # KIS sends {} for "no rows" on some TRs
    if not isinstance(value, kind) or (kind is list and not all(isinstance(r, dict) for r in value)):
        raise MalformedResponse(f"{key!r} is a {type(value).__name__}, expected a {kind.__name__} of objects",
                                tr_id=tr_id, field=key, raw=raw)
    return value


def values(rows: list[dict[str, Any]], spec: Spec, tr_id: str, raw: str = "") -> dict[str, list[Any]]:
    """Converted values per output column, checked row by row."""
    out: dict[str, list[Any]] = {name: [] for name, _, _ in spec}
    for i, row in enumerate(rows):
        for name, key, kind in spec:
            optional = kind.endswith("?")
            kind = kind.rstrip("?")
            if key not in row:
                if optional:
                    out[name].append(None)
                    continue
                raise MalformedResponse(f"row {i} has no {key!r}", tr_id=tr_id, field=key, raw=raw)
            value = row[key]
            if not isinstance(value, str):
                raise MalformedResponse(f"row {i}: {key!r} is a {type(value).__name__}, expected a string",
                                        tr_id=tr_id, field=key, raw=raw)
            try:
                out[name].append(_convert(value, kind))
            except ValueError:
                raise MalformedResponse(f"row {i}: {key!r}={value[:40]!r} is not a valid {kind}", tr_id=tr_id,
                                        field=key, raw=raw) from None
    return out


def frame(rows: list[dict[str, Any]], spec: Spec, tr_id: str, raw: str = "") -> pd.DataFrame:
    """A DataFrame with one typed column per spec entry (empty but typed when there are no rows)."""
    cols = values(rows, spec, tr_id, raw)
    return pd.DataFrame({name: pd.Series(cols[name], dtype=DTYPES[kind.rstrip("?")]) for name, _, kind in spec})


def apply_sign(change: pd.Series, sign: pd.Series) -> pd.Series:
    """Signed change from KIS `prdy_vrss_sign` (1 limit-up, 2 up, 3 flat, 4 limit-down, 5 down)."""
    magnitude = change.abs()
    up = sign.isin(["1", "2"])
    down = sign.isin(["4", "5"])
    flat = sign == "3"
    out = change.copy()
    out[up] = magnitude[up]
    out[down] = -magnitude[down]
    out[flat] = 0
    return out


def kst_times(dates: Sequence[Any], hhmmss: Sequence[str]) -> pd.Series:
    """Aware Asia/Seoul timestamps from trading dates and HHMMSS; hours ≥ 24 (KIS night session) roll over."""
    stamps = []
    for d, t in zip(dates, hhmmss):
        t = (t or "").strip()
        if d is None or len(t) != 6 or not t.isdigit():
            stamps.append(pd.NaT)
            continue
        secs = int(t[0:2]) * 3600 + int(t[2:4]) * 60 + int(t[4:6])
        stamps.append(pd.Timestamp(d) + pd.Timedelta(seconds=secs))
    return pd.Series(pd.DatetimeIndex(stamps).tz_localize(KST), dtype=f"datetime64[ns, {KST}]")
