"""What `kis-platform db …` does: prepare the databases, migrate, report, print connection strings."""

from __future__ import annotations

import secrets
from contextlib import contextmanager
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from kis_platform.private_files import private_dir, write_private
from kis_platform.settings import Settings
from kis_platform.storage.database import DatabaseRuntime, ensure_database, redact
from kis_platform.storage.migrations import status, upgrade

ANALYST_ROLE = "kis_analyst"
WRITER_ROLE = "kis_writer"


@contextmanager
def database_session(settings: Settings) -> Iterator[DatabaseRuntime]:
    """The databases, ready; an embedded server started only for this block is stopped after it."""
    runtime = ensure_database(settings)
    try:
        yield runtime
    finally:
        runtime.stop()


def role_password(settings: Settings, role: str) -> str:
    """Password of a platform role, generated once and kept under KIS_PLATFORM_HOME (mode 0600)."""
    path: Path = private_dir(settings.home / "secrets") / f"{role}.password"
    write_private(path, secrets.token_urlsafe(18) + "\n")  # no-op when the password exists
    return path.read_text().strip()


def role_dsn(market_dsn: str, role: str, password: str) -> str:
    parts = urlsplit(market_dsn)
    host = parts.hostname or "127.0.0.1"
    # Quoted: a password chosen by hand may hold URL delimiters (@ : / ? #); libpq decodes it back.
    netloc = f"{quote(role, safe='')}:{quote(password, safe='')}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def migrate(settings: Settings, runtime: DatabaseRuntime) -> tuple[str, list[str]]:
    """Apply pending migrations, then make sure the analyst and writer roles exist with their grants."""
    path, applied = upgrade(runtime.market_dsn)
    try:
        from kis_platform.storage.roles import ensure_roles
    except ImportError:  # roles arrive with the storage schema
        return path, applied
    import psycopg

    with psycopg.connect(runtime.market_dsn, autocommit=True) as conn:
        ensure_roles(
            conn,
            urlsplit(runtime.market_dsn).path.strip("/"),
            role_password(settings, ANALYST_ROLE),
            role_password(settings, WRITER_ROLE),
        )
    return path, applied


def upgrade_database(settings: Settings) -> str:
    with database_session(settings) as runtime:
        path, applied = migrate(settings, runtime)
        lines = [f"database: {runtime.description}", f"storage path: {_path_text(path)}"]
        lines += [f"applied {m}" for m in applied] or ["up to date: nothing to apply"]
    return "\n".join(lines)


def migration_status(settings: Settings) -> str:
    with database_session(settings) as runtime:
        st = status(runtime.market_dsn)
        lines = [f"database: {runtime.description}", f"storage path: {_path_text(st.path)}"]
        lines += [f"applied  {mid}  {at:%Y-%m-%d %H:%M:%S%z}" for mid, at in sorted(st.applied.items())]
        lines += [f"pending  {m.id}" for m in st.pending]
        lines += [f"changed since applied (not re-run): {mid}" for mid in st.changed]
        lines += [f"not for this path: {m.id}" for m in st.skipped]
    return "\n".join(lines)


def describe(settings: Settings) -> str:
    with database_session(settings) as runtime:
        analyst = role_dsn(runtime.market_dsn, ANALYST_ROLE, role_password(settings, ANALYST_ROLE))
        return "\n".join(
            [
                f"market data:      {redact(runtime.market_dsn)}",
                f"dagster storage:  {redact(runtime.dagster_dsn)}",
                f"server:           {runtime.description}",
                f"analyst (read-only) connection string:\n  {analyst}",
            ]
        )


def _path_text(path: str) -> str:
    if path == "timescaledb":
        return "TimescaleDB (hypertables, compression, continuous aggregates)"
    return "plain PostgreSQL (TimescaleDB extension not available; resampled bars are materialized views)"
