"""COPY prepared columns into a table: binary when every column allows it, text otherwise (numeric columns)."""

from __future__ import annotations

import psycopg
from psycopg import sql

from kis_platform.storage import copy_binary
from kis_platform.storage.prepared_column import Prepared, python_value

# Rows per binary block handed to psycopg: the server ingests one block while the next is encoded.
CHUNK_ROWS = copy_binary.CHUNK_ROWS


def copy_rows(conn: psycopg.Connection, target: sql.Composable, columns: list[str], prepared: list[Prepared],
              n_rows: int) -> int:
    """COPY `n_rows` rows of `prepared` (one entry per name in `columns`) into `target`; returns n_rows."""
    if n_rows == 0:
        return 0
    cols = sql.SQL(", ").join(map(sql.Identifier, columns))
    with conn.cursor() as cur:
        if copy_binary.supported(prepared):
            with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(target, cols)) as copy:
                for block in copy_binary.stream(prepared, n_rows, CHUNK_ROWS):
                    copy.write(block)
        else:
            with cur.copy(sql.SQL("COPY {} ({}) FROM STDIN").format(target, cols)) as copy:
                for i in range(n_rows):
                    copy.write_row([python_value(p, i) for p in prepared])
    return n_rows
