"""Build a PostgreSQL binary COPY stream from prepared columns with numpy, without a Python loop per row.

Why: a 1M-row minute-bar write spent ~7 s in Python turning rows into objects for `write_row`, and pyarrow's CSV
writer spent ~3 s per timestamptz column, while the server needs ~3 s to ingest binary COPY (it also parses binary
faster than CSV: 5.8 s vs 9.5 s for the same 1M rows into minute_bars). Layout per tuple (network byte order):
int16 field count, then per field int32 length (-1 = NULL) and the bytes.
See https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kis_platform.storage.frames import Prepared

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
# Binary COPY counts timestamps and dates from 2000-01-01.
_PG_EPOCH_US = 946_684_800_000_000
_PG_EPOCH_DAYS = 10_957
# Which SQL column type each prepared kind can be sent as, and its fixed width and numpy dtype.
_FIXED = {
    ("int8", "int8"): (8, ">i8"), ("int4", "int4"): (4, ">i4"), ("int2", "int2"): (2, ">i2"),
    ("float8", "float8"): (8, ">f8"), ("float4", "float4"): (4, ">f4"),
    ("bool", "bool"): (1, "u1"), ("timestamptz", "timestamptz"): (8, ">i8"), ("date", "date"): (4, ">i4"),
}
_MAX_LAYOUTS = 64
_MAX_MATRIX_BYTES = 64 << 20
_TEXT = {("text", "text"), ("text", "varchar"), ("text", "bpchar"), ("text", "name"), ("json", "jsonb"), ("json", "json")}


def supported(columns: list[Prepared]) -> bool:
    """True when every column can be sent in binary (numeric and exotic types go through text COPY)."""
    return all((p.kind, p.info.typname) in _FIXED or (p.kind, p.info.typname) in _TEXT for p in columns)


def _fixed_bytes(p: Prepared) -> tuple[np.ndarray, int]:
    width, dtype = _FIXED[(p.kind, p.info.typname)]
    values = p.values
    if p.kind == "timestamptz":
        values = values - _PG_EPOCH_US
    elif p.kind == "date":
        values = values - _PG_EPOCH_DAYS
    return np.ascontiguousarray(values, dtype=dtype).view(np.uint8).reshape(-1, width), width


def _var_bytes(p: Prepared) -> tuple[list[bytes], np.ndarray]:
    prefix = b"\x01" if p.info.typname == "jsonb" else b""  # jsonb binary format = version byte + JSON text
    null = p.mask if p.mask is not None else np.zeros(len(p.values), dtype=bool)
    encoded = [b"" if n else prefix + v.encode("utf-8") for v, n in zip(p.values, null)]
    lengths = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    return encoded, lengths


def _var_matrix(p: Prepared) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Strings as (codes per row, padded byte matrix of the distinct values, their lengths), or None when the
    distinct values are too many or too long for that (landing-zone bodies)."""
    prefix = b"\x01" if p.info.typname == "jsonb" else b""
    values = p.values if p.mask is None else np.where(p.mask, None, p.values)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    encoded = [prefix + u.encode("utf-8") for u in uniques]
    lens = np.fromiter((len(b) for b in encoded), dtype=np.int64, count=len(encoded))
    width = int(lens.max()) if len(lens) else 0
    if len(encoded) * max(width, 1) > _MAX_MATRIX_BYTES:
        return None
    matrix = np.zeros((len(encoded), max(width, 1)), dtype=np.uint8)
    for i, b in enumerate(encoded):
        matrix[i, : len(b)] = np.frombuffer(b, dtype=np.uint8)
    return codes, matrix, lens


def encode(columns: list[Prepared], n_rows: int) -> memoryview:
    """The whole COPY stream (header, tuples, trailer) for the prepared columns.

    Rows whose fields all have the same lengths share one byte layout, so each such group is written as a 2-D
    block with column slices (memcpy speed). COPY does not care about row order, so rows are grouped by layout;
    when there are too many layouts (free text of every length) the per-byte scatter below is used instead.
    """
    k = len(columns)
    lengths = np.empty((n_rows, k), dtype=np.int64)
    sources: list[tuple[str, object]] = []
    for j, p in enumerate(columns):
        if (p.kind, p.info.typname) in _FIXED:
            data, width = _fixed_bytes(p)
            lengths[:, j] = width
            sources.append(("fixed", data))
        else:
            matrix = _var_matrix(p)
            if matrix is None:
                return _encode_scatter(columns, n_rows)
            codes, mat, lens = matrix
            lengths[:, j] = np.where(codes >= 0, lens[np.maximum(codes, 0)] if len(lens) else 0, -1)
            sources.append(("var", (codes, mat)))
        if p.mask is not None:
            lengths[p.mask, j] = -1

    key = np.zeros(n_rows, dtype=np.int64)
    radix = 1
    for j in range(k):
        col = lengths[:, j]
        if n_rows and (col == col[0]).all():
            continue
        codes, uniques = pd.factorize(col)
        radix *= len(uniques)
        if radix > 1 << 40:
            return _encode_scatter(columns, n_rows)
        key = key * len(uniques) + codes
    groups, group_keys = pd.factorize(key)
    if len(group_keys) > _MAX_LAYOUTS:
        return _encode_scatter(columns, n_rows)

    row_sizes = 2 + (4 + np.maximum(lengths, 0)).sum(axis=1)
    out = np.empty(len(HEADER) + int(row_sizes.sum()) + len(TRAILER), dtype=np.uint8)
    out[: len(HEADER)] = np.frombuffer(HEADER, dtype=np.uint8)
    out[len(out) - len(TRAILER):] = np.frombuffer(TRAILER, dtype=np.uint8)

    if len(group_keys) == 1:
        order, bounds = None, [0, n_rows]
    else:
        order = np.argsort(groups, kind="stable")
        bounds = [0, *np.cumsum(np.bincount(groups)).tolist()]
    offset = len(HEADER)
    for g in range(len(bounds) - 1):
        rows = None if order is None else order[bounds[g]: bounds[g + 1]]
        n = bounds[g + 1] - bounds[g]
        layout = lengths[0 if rows is None else rows[0]]
        # A structured dtype at the row's byte offsets: numpy then copies whole fields, not single bytes.
        names, formats, offsets, pos = ["n"], ["V2"], [0], 2
        for j in range(k):
            names.append(f"l{j}"), formats.append("V4"), offsets.append(pos)
            pos += 4
            if layout[j] > 0:
                names.append(f"d{j}"), formats.append(f"V{int(layout[j])}"), offsets.append(pos)
                pos += int(layout[j])
        block = out[offset: offset + n * pos].view(
            np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": pos}))
        block["n"] = np.void(np.array([k], dtype=">i2").tobytes())
        for j, (kind, src) in enumerate(sources):
            width = int(layout[j])
            block[f"l{j}"] = np.void(np.array([width], dtype=">i4").tobytes())
            if width <= 0:
                continue
            if kind == "fixed":
                values = np.ascontiguousarray(src).view(f"V{width}").reshape(-1)
                block[f"d{j}"] = values if rows is None else values[rows]
            else:
                codes, mat = src
                values = np.ascontiguousarray(mat[:, :width]).view(f"V{width}").reshape(-1)
                block[f"d{j}"] = values[codes if rows is None else codes[rows]]
        offset += n * pos
    return memoryview(out)


def _encode_scatter(columns: list[Prepared], n_rows: int) -> memoryview:
    """General case: every byte placed by index (slower, but any mix of lengths)."""
    k = len(columns)
    # Pass 1: each field's payload length per row (-1 = NULL) and its bytes.
    lengths = np.empty((n_rows, k), dtype=np.int64)
    payloads: list[tuple[str, object, int]] = []
    for j, p in enumerate(columns):
        if (p.kind, p.info.typname) in _FIXED:
            data, width = _fixed_bytes(p)
            lengths[:, j] = width
            payloads.append(("fixed", data, width))
        else:
            encoded, lens = _var_bytes(p)
            lengths[:, j] = lens
            payloads.append(("var", encoded, 0))
        if p.mask is not None:
            lengths[p.mask, j] = -1
    field_sizes = 4 + np.maximum(lengths, 0)
    row_sizes = 2 + field_sizes.sum(axis=1)
    row_starts = np.zeros(n_rows, dtype=np.int64)
    np.cumsum(row_sizes[:-1], out=row_starts[1:])
    body = len(HEADER) + int(row_sizes.sum())
    buf = np.empty(body + len(TRAILER), dtype=np.uint8)
    buf[: len(HEADER)] = np.frombuffer(HEADER, dtype=np.uint8)
    buf[body:] = np.frombuffer(TRAILER, dtype=np.uint8)
    row_starts += len(HEADER)

    def scatter(positions: np.ndarray, data: np.ndarray, width: int) -> None:
        buf[positions[:, None] + np.arange(width)] = data

    scatter(row_starts, np.full(n_rows, k, dtype=">i2").view(np.uint8).reshape(-1, 2), 2)
    pos = row_starts + 2
    # Pass 2: write each field's length word and payload at its offset in every row.
    for j, (kind, data, width) in enumerate(payloads):
        scatter(pos, lengths[:, j].astype(">i4").view(np.uint8).reshape(-1, 4), 4)
        pos = pos + 4
        present = lengths[:, j] >= 0
        if kind == "fixed":
            if present.all():
                scatter(pos, data, width)
            else:
                scatter(pos[present], data[present], width)
        else:
            blob = np.frombuffer(b"".join(data), dtype=np.uint8)
            if len(blob):
                lens = np.maximum(lengths[:, j], 0)
                src_starts = np.zeros(n_rows, dtype=np.int64)
                np.cumsum(lens[:-1], out=src_starts[1:])
                buf[np.repeat(pos - src_starts, lens) + np.arange(len(blob))] = blob
        pos = pos + np.maximum(lengths[:, j], 0)
    return memoryview(buf)
