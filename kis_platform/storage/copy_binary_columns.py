"""Prepared columns in the shape the binary COPY encoder writes them: fixed-width big-endian values, or the
UTF-8 bytes of each distinct text value with a per-row code.

Binary COPY counts timestamps and dates from 2000-01-01; every field is an int32 length (-1 = NULL) followed by
the value in network byte order. See https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kis_platform.storage.prepared_column import Prepared

PG_EPOCH_US = 946_684_800_000_000
PG_EPOCH_DAYS = 10_957
# (prepared kind, column type) -> the big-endian dtype it is sent as.
FIXED = {
    ("int8", "int8"): ">i8", ("int4", "int4"): ">i4", ("int2", "int2"): ">i2",
    ("float8", "float8"): ">f8", ("float4", "float4"): ">f4", ("bool", "bool"): "u1",
    ("timestamptz", "timestamptz"): ">i8", ("date", "date"): ">i4",
}
TEXT = {("text", "text"), ("text", "varchar"), ("text", "bpchar"), ("text", "name"), ("json", "jsonb"), ("json", "json")}
# Above this, distinct values (landing-zone bodies) are not copied into one padded matrix.
_MAX_PADDED_BYTES = 64 << 20


def supported(columns: list[Prepared]) -> bool:
    """True when every column can be sent in binary (numeric and exotic types go through text COPY)."""
    return all((p.kind, p.info.typname) in FIXED or (p.kind, p.info.typname) in TEXT for p in columns)


@dataclass
class EncodedColumn:
    """Fixed: `values` (native order, epoch already shifted) and `dtype`. Text: `codes` per row (-1 = NULL),
    `encoded` bytes and `lens` per distinct value, `padded` = the same as one fixed-width numpy array."""

    dtype: np.dtype | None = None
    values: np.ndarray | None = None
    mask: np.ndarray | None = None
    codes: np.ndarray | None = None
    encoded: list[bytes] = field(default_factory=list)
    lens: np.ndarray | None = None
    padded: np.ndarray | None = None
    _by_width: dict[int, np.ndarray] = field(default_factory=dict)

    def lengths(self, lo: int, hi: int) -> np.ndarray:
        """Payload length of rows lo..hi (-1 = NULL)."""
        if self.dtype is not None:
            out = np.full(hi - lo, self.dtype.itemsize, dtype=np.int32)
            if self.mask is not None:
                out[self.mask[lo:hi]] = -1
            return out
        codes = self.codes[lo:hi]
        if not len(self.lens):
            return np.full(hi - lo, -1, dtype=np.int32)
        return np.where(codes >= 0, self.lens[np.maximum(codes, 0)], -1).astype(np.int32)

    def of_width(self, width: int) -> np.ndarray:
        """The distinct values as an S<width> array (used for rows whose value is exactly that long)."""
        if width not in self._by_width:
            self._by_width[width] = self.padded.astype(f"S{width}")
        return self._by_width[width]


def encoded_column(p: Prepared) -> EncodedColumn:
    key = (p.kind, p.info.typname)
    if key in FIXED:
        values = p.values
        if p.kind == "timestamptz":
            values = values - PG_EPOCH_US
        elif p.kind == "date":
            values = values - PG_EPOCH_DAYS
        return EncodedColumn(dtype=np.dtype(FIXED[key]), values=values, mask=p.mask)
    prefix = b"\x01" if p.info.typname == "jsonb" else b""  # jsonb binary format = version byte + JSON text
    if p.codes is not None:
        codes, uniques = p.codes, p.uniques
    else:
        codes, uniques = pd.factorize(p.values if p.mask is None else np.where(p.mask, None, p.values),
                                      use_na_sentinel=True)
    encoded = [prefix + u.encode("utf-8") for u in uniques]
    lens = np.fromiter((len(b) for b in encoded), dtype=np.int32, count=len(encoded))
    width = int(lens.max()) if len(lens) else 0
    padded = None
    if len(encoded) * max(width, 1) <= _MAX_PADDED_BYTES:
        padded = np.array(encoded, dtype=f"S{max(width, 1)}")
    return EncodedColumn(codes=codes, encoded=encoded, lens=lens, padded=padded)
