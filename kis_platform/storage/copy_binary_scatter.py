"""General case of the binary COPY encoder: every field's bytes placed by index.

Slower than the fixed-layout blocks in copy_binary.py, but works for any mix of value lengths (free text such as
landing-zone bodies, where nearly every row has its own length).
"""

from __future__ import annotations

import numpy as np

from kis_platform.storage.copy_binary_columns import EncodedColumn


def scatter_rows(columns: list[EncodedColumn], lo: int, hi: int, lengths: np.ndarray) -> np.ndarray:
    """Tuples lo..hi as bytes; `lengths` holds each field's payload length (-1 = NULL), one row per tuple."""
    n, k = lengths.shape
    payload = np.maximum(lengths, 0).astype(np.int64)
    row_sizes = 2 + (4 + payload).sum(axis=1)
    row_starts = np.zeros(n, dtype=np.int64)
    np.cumsum(row_sizes[:-1], out=row_starts[1:])
    buf = np.empty(int(row_sizes.sum()), dtype=np.uint8)

    def put(positions: np.ndarray, data: np.ndarray, width: int) -> None:
        buf[positions[:, None] + np.arange(width)] = data

    put(row_starts, np.full(n, k, dtype=">i2").view(np.uint8).reshape(-1, 2), 2)
    pos = row_starts + 2
    for j, col in enumerate(columns):
        put(pos, lengths[:, j].astype(">i4").view(np.uint8).reshape(-1, 4), 4)
        pos = pos + 4
        present = lengths[:, j] >= 0
        if col.dtype is not None:
            width = col.dtype.itemsize
            data = np.ascontiguousarray(col.values[lo:hi], dtype=col.dtype).view(np.uint8).reshape(-1, width)
            put(pos[present], data[present], width)
        else:
            blob = np.frombuffer(b"".join(col.encoded[c] for c in col.codes[lo:hi] if c >= 0), dtype=np.uint8)
            if len(blob):
                src_starts = np.zeros(n, dtype=np.int64)
                np.cumsum(payload[:-1, j], out=src_starts[1:])
                buf[np.repeat(pos - src_starts, payload[:, j]) + np.arange(len(blob))] = blob
        pos = pos + payload[:, j]
    return buf
