"""Prove the newest backup restores: restore it into a scratch database and compare row counts per table.

A backup passes when every table restores with exactly the rows it had when the dump was taken (recorded by
`backup()` from the same snapshot). The live database's current counts are reported beside them: a live table
growing after the backup is normal (new minutes), a live table with *fewer* rows than its backup is worth a look.
The scratch database is always dropped.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

from kis_platform.ops.backup import BackupError, counts_file, list_backups, restore, table_counts
from kis_platform.storage.database import with_database


@dataclass
class TableCheck:
    table: str
    at_backup: int | None
    restored: int | None
    live_now: int | None

    @property
    def ok(self) -> bool:
        return self.at_backup is not None and self.restored == self.at_backup


@dataclass
class VerifyReport:
    dump: Path
    seconds: float
    tables: list[TableCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.tables) and all(t.ok for t in self.tables)

    @property
    def mismatches(self) -> list[TableCheck]:
        return [t for t in self.tables if not t.ok]

    def lines(self) -> list[str]:
        head = f"{'table':32} {'at backup':>12} {'restored':>12} {'live now':>12}  "
        body = [f"{t.table:32} {_n(t.at_backup):>12} {_n(t.restored):>12} {_n(t.live_now):>12}  "
                f"{'ok' if t.ok else 'MISMATCH'}" for t in self.tables]
        verdict = "PASSED" if self.passed else f"FAILED ({len(self.mismatches)} table(s) differ)"
        return [f"restore check of {self.dump.name}: {verdict} in {self.seconds:.1f} s", head, *body]


def _n(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def verify_latest(dsn: str, backup_dir: Path) -> VerifyReport:
    """Restore the newest dump in backup_dir next to the database at `dsn` and compare row counts."""
    dumps = list_backups(backup_dir)
    if not dumps:
        raise BackupError(f"no backup in {backup_dir}; run `kis-platform backup` first")
    dump = dumps[-1]
    expected = json.loads(counts_file(dump).read_text())["counts"] if counts_file(dump).exists() else {}
    scratch = f"kis_restore_check_{uuid.uuid4().hex[:8]}"
    started = time.perf_counter()
    with psycopg.connect(dsn, autocommit=True) as admin:
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(scratch)))
        except psycopg.errors.InsufficientPrivilege:
            raise BackupError("the database role may not CREATE DATABASE; grant CREATEDB to verify restores") from None
        try:
            restore(dump, with_database(dsn, scratch))
            with psycopg.connect(with_database(dsn, scratch)) as conn:
                restored = table_counts(conn)
            live = table_counts(admin)
        finally:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
    names = sorted(set(expected) | set(restored))
    report = VerifyReport(dump, round(time.perf_counter() - started, 3))
    report.tables = [TableCheck(n, expected.get(n), restored.get(n), live.get(n)) for n in names]
    return report
