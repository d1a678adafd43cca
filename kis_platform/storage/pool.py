"""One psycopg connection pool per (process, DSN), created on first use.

Dagster starts every run in a fresh process, so the pool lives as long as the run's process; keying by pid as
well keeps a forked child from sharing its parent's sockets.
"""

from __future__ import annotations

import atexit
import os
import threading

import psycopg
from psycopg_pool import ConnectionPool

_pools: dict[tuple[int, str], ConnectionPool] = {}
_lock = threading.Lock()


def _configure(conn: psycopg.Connection) -> None:
    # Upserts stage rows in a TEMP table; its pages live in temp_buffers (default 8 MB), which can only be
    # raised before the session's first temp table. Memory is taken only when used.
    conn.execute("SET temp_buffers = '128MB'")
    conn.commit()


def get_pool(dsn: str, max_size: int = 4) -> ConnectionPool:
    """The pool for `dsn` in this process (opened lazily, closed at interpreter exit)."""
    key = (os.getpid(), dsn)
    pool = _pools.get(key)
    if pool is None:
        with _lock:
            pool = _pools.get(key)
            if pool is None:
                pool = ConnectionPool(dsn, min_size=1, max_size=max_size, open=True, name="kis_platform_writer",
                                      configure=_configure)
                _pools[key] = pool
    return pool


def close_pools() -> None:
    """Close every pool this process opened (tests call it before dropping a database)."""
    with _lock:
        for key, pool in list(_pools.items()):
            if key[0] == os.getpid():
                pool.close()
            del _pools[key]


atexit.register(close_pools)
