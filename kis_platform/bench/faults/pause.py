"""A fault-injection gate in the market database: a row trigger makes the first row of every write
transaction to a table wait for an advisory lock the scenario holds, so a scenario acts at a known point of a
write (mid-COPY, mid-upsert, two writers at once) and not at a random one. The backend of a client that
disappears while waiting is ended within a second (`client_connection_check_interval`), as it would be at the
next row of a real write."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import sql

TRIGGER = "kis_fault_gate"
LOCK_KEY = 727_271_009


class Gate:
    """The scenario's side of the gate: see who is held, then let them through."""

    def __init__(self, dsn: str, table: str) -> None:
        self.dsn, self.table = dsn, table
        self._conn: psycopg.Connection | None = psycopg.connect(dsn, autocommit=True)
        self._conn.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))

    def held(self) -> list[tuple[int, str]]:
        """(pid, statement) of every backend held at the gate in a write to the table."""
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid, query FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' "
                "AND datname = current_database() AND query ILIKE %s ORDER BY query_start", (f"%{self.table}%",)
            ).fetchall()
        return [(int(pid), str(query)) for pid, query in rows]

    def wait(self, count: int = 1, timeout: float = 900.0) -> list[tuple[int, str]]:
        """Until `count` writers are held; returns them (fewer when `timeout` passes first)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.held()
            if len(found) >= count or time.monotonic() > deadline:
                return found
            time.sleep(0.2)

    def open(self) -> None:
        """Let every held writer go on (also what happens when the server restarts under the gate)."""
        if self._conn is not None:
            try:
                self._conn.close()
            finally:
                self._conn = None

    def terminate(self, pid: int) -> bool:
        with psycopg.connect(self.dsn, autocommit=True) as conn:
            return bool(conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0])


@contextmanager
def gate(dsn: str, table: str) -> Iterator[Gate]:
    """Install the gate on `table`, closed; on exit open it and remove it."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("""
            CREATE OR REPLACE FUNCTION kis_fault_gate() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF current_setting('kis_fault.passed', true) IS DISTINCT FROM 'yes' THEN
                PERFORM set_config('kis_fault.passed', 'yes', true);  -- once per transaction
                PERFORM pg_advisory_xact_lock_shared({});
              END IF;
              RETURN NEW;
            END $$""").format(sql.Literal(LOCK_KEY)))
        conn.execute(sql.SQL("ALTER DATABASE {} SET client_connection_check_interval = '1s'").format(
            sql.Identifier(conn.info.dbname)))
    g = Gate(dsn, table)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE OR REPLACE TRIGGER {} BEFORE INSERT OR UPDATE ON {} FOR EACH ROW "
                             "EXECUTE FUNCTION kis_fault_gate()").format(sql.Identifier(TRIGGER), sql.Identifier(table)))
    try:
        yield g
    finally:
        g.open()
        _remove(dsn, table)


def _remove(dsn: str, table: str, attempts: int = 60) -> None:
    # The server may be starting again (restart scenario): retry the connection for a while.
    for attempt in range(attempts):
        try:
            with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as conn:
                conn.execute("SET lock_timeout = '60s'")  # DROP TRIGGER waits for writers still in the table
                conn.execute(sql.SQL("DROP TRIGGER IF EXISTS {} ON {}").format(sql.Identifier(TRIGGER),
                                                                               sql.Identifier(table)))
                conn.execute(sql.SQL("ALTER DATABASE {} RESET client_connection_check_interval").format(
                    sql.Identifier(conn.info.dbname)))
                return
        except psycopg.OperationalError:
            if attempt == attempts - 1:
                raise
            time.sleep(1)
