"""Build a PostgreSQL binary COPY stream from prepared columns with numpy, without a Python loop per row.

Why: a 1M-row minute-bar write spent ~7 s in Python turning rows into objects for `write_row`, and pyarrow's CSV
writer spent ~3 s per timestamptz column, while the server parses binary faster than CSV (5.8 s vs 9.5 s for
the same 1M rows into minute_bars).

The stream is built in blocks of CHUNK_ROWS rows. Rows of a block whose fields all have the same lengths share
one byte layout, so each run of such rows is written as a numpy structured array (one typed field per column:
numpy casts to network byte order while copying). Blocks are small enough that every field of a row is written
while its cache lines are still in the CPU cache (field by field over 1M rows' 159 MB took 3-4x longer), and a
COPY can send each block while the next one is built. Blocks with many runs (free text of every length, NULLs
here and there) are scattered byte by byte instead (copy_binary_scatter.py). Row order is kept.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import pairwise

import numpy as np

from kis_platform.storage.copy_binary_columns import EncodedColumn, encoded_column, supported
from kis_platform.storage.copy_binary_scatter import scatter_rows
from kis_platform.storage.prepared_column import Prepared

__all__ = ["CHUNK_ROWS", "HEADER", "TRAILER", "encode", "stream", "supported"]

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
CHUNK_ROWS = 8192
_MAX_RUNS = 64


def stream(columns: list[Prepared], n_rows: int, chunk_rows: int = CHUNK_ROWS) -> Iterator[memoryview | bytes]:
    """The COPY stream (header, blocks of tuples, trailer) for the prepared columns."""
    encoded = [encoded_column(p) for p in columns]
    dtypes: dict[bytes, np.dtype] = {}
    yield HEADER
    for lo in range(0, n_rows, chunk_rows):
        yield memoryview(_block(encoded, lo, min(n_rows, lo + chunk_rows), dtypes))
    yield TRAILER


def encode(columns: list[Prepared], n_rows: int) -> bytes:
    """The whole COPY stream as one bytes object."""
    return b"".join(stream(columns, n_rows))


def _layout_dtype(layout: np.ndarray, columns: list[EncodedColumn]) -> np.dtype:
    names, formats, offsets, pos = ["n"], [">i2"], [0], 2
    for j, (width, col) in enumerate(zip(layout.tolist(), columns)):
        names.append(f"l{j}"), formats.append(">i4"), offsets.append(pos)
        pos += 4
        if width > 0:
            names.append(f"d{j}"), formats.append(col.dtype if col.dtype is not None else f"S{width}")
            offsets.append(pos)
            pos += width
    return np.dtype({"names": names, "formats": formats, "offsets": offsets, "itemsize": pos})


def _block(columns: list[EncodedColumn], lo: int, hi: int, dtypes: dict[bytes, np.dtype]) -> np.ndarray:
    lengths = np.empty((hi - lo, len(columns)), dtype=np.int32)
    for j, col in enumerate(columns):
        lengths[:, j] = col.lengths(lo, hi)
    # Runs of consecutive rows with one layout keep the rows in order (ids of the landing zone follow it).
    starts = np.flatnonzero(np.any(lengths[1:] != lengths[:-1], axis=1)) + 1
    if len(starts) >= _MAX_RUNS or any(c.dtype is None and c.padded is None for c in columns):
        return scatter_rows(columns, lo, hi, lengths)
    bounds = [0, *starts.tolist(), hi - lo]
    out = np.empty(int((2 + (4 + np.maximum(lengths, 0)).sum(axis=1, dtype=np.int64)).sum()), dtype=np.uint8)
    offset = 0
    for first, stop in pairwise(bounds):
        layout = lengths[first]
        key = layout.tobytes()
        if key not in dtypes:
            dtypes[key] = _layout_dtype(layout, columns)
        dtype = dtypes[key]
        block = out[offset: offset + (stop - first) * dtype.itemsize].view(dtype)
        block["n"] = len(columns)
        for j, (width, col) in enumerate(zip(layout.tolist(), columns)):
            block[f"l{j}"] = width
            if width > 0 and col.dtype is not None:
                block[f"d{j}"] = col.values[lo + first: lo + stop]
            elif width > 0:
                block[f"d{j}"] = col.of_width(width)[col.codes[lo + first: lo + stop]]
        offset += (stop - first) * dtype.itemsize
    return out
