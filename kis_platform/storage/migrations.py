"""Numbered SQL migrations from `sql/`, applied in order, each inside its own transaction.

File names: `NNNN_name.sql` (always), `NNNN_name.timescale.sql` (only when `CREATE EXTENSION timescaledb`
succeeds on the server), `NNNN_name.plain.sql` (only when it does not). Applied files are recorded in
`schema_migrations`; re-running is a no-op. A failing file is rolled back whole and reported by name.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psycopg

from kis_platform.settings import REPO_ROOT

SQL_DIR = REPO_ROOT / "sql"
_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+?)(?:\.(?P<variant>timescale|plain))?\.sql$")
_VARIANT_ORDER = {"all": 0, "timescale": 1, "plain": 2}
# Serialises concurrent upgrades (two `up`s, or tests) on the same database.
_LOCK_KEY = 0x4B49535F4D4947

_BOOKKEEPING = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    id text PRIMARY KEY,
    version integer NOT NULL,
    variant text NOT NULL,
    checksum text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE schema_migrations IS 'SQL migration files from sql/ applied to this database (platform bookkeeping).';
"""


class MigrationError(RuntimeError):
    """A migration file failed; nothing of it was applied."""


@dataclass(frozen=True)
class Migration:
    id: str  # file name without .sql, e.g. "0010_instruments" or "0030_hypertables.timescale"
    version: int
    variant: str  # "all" | "timescale" | "plain"
    path: Path

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.path.read_bytes()).hexdigest()[:16]

    def applies_to(self, timescale: bool) -> bool:
        return self.variant == "all" or (self.variant == "timescale") == timescale


@dataclass
class Status:
    path: str  # "timescaledb" or "plain"
    applied: dict[str, datetime]
    pending: list[Migration]
    skipped: list[Migration]  # files for the other path
    changed: list[str]  # applied files whose content changed since


def discover(sql_dir: Path = SQL_DIR) -> list[Migration]:
    found = []
    for path in sorted(sql_dir.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: migration files must be named NNNN_name.sql, .timescale.sql or .plain.sql")
        variant = match["variant"] or "all"
        found.append(Migration(path.name[: -len(".sql")], int(match["version"]), variant, path))
    return sorted(found, key=lambda m: (m.version, _VARIANT_ORDER[m.variant], m.id))


def timescale_available(conn: psycopg.Connection) -> bool:
    """True when the extension is installed, or can be created here (tried, then rolled back)."""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone():
        return True
    if not conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone():
        return False
    try:
        with conn.transaction(force_rollback=True):
            conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        return True
    except psycopg.Error:
        return False


def _applied(conn: psycopg.Connection) -> dict[str, tuple[str, datetime]]:
    conn.execute(_BOOKKEEPING)
    return {row[0]: (row[1], row[2]) for row in conn.execute("SELECT id, checksum, applied_at FROM schema_migrations")}


def status(dsn: str, sql_dir: Path = SQL_DIR) -> Status:
    with psycopg.connect(dsn, autocommit=True) as conn:
        timescale = timescale_available(conn)
        applied = _applied(conn)
    migrations = discover(sql_dir)
    return Status(
        path="timescaledb" if timescale else "plain",
        applied={k: v[1] for k, v in applied.items()},
        pending=[m for m in migrations if m.applies_to(timescale) and m.id not in applied],
        skipped=[m for m in migrations if not m.applies_to(timescale)],
        changed=[m.id for m in migrations if m.id in applied and applied[m.id][0] != m.checksum],
    )


def upgrade(dsn: str, sql_dir: Path = SQL_DIR) -> tuple[str, list[str]]:
    """Apply every pending migration; returns (path in use, ids applied now)."""
    done: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            timescale = timescale_available(conn)
            applied = _applied(conn)
            for migration in discover(sql_dir):
                if migration.id in applied or not migration.applies_to(timescale):
                    continue
                try:
                    with conn.transaction():
                        conn.execute(migration.path.read_text())
                        conn.execute(
                            "INSERT INTO schema_migrations (id, version, variant, checksum) VALUES (%s, %s, %s, %s)",
                            (migration.id, migration.version, migration.variant, migration.checksum),
                        )
                except psycopg.Error as exc:
                    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                    raise MigrationError(f"migration {migration.path.name} failed and was rolled back: {first}") from exc
                done.append(migration.id)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return ("timescaledb" if timescale else "plain"), done
