"""Where the platform's two databases live: market data, and Dagster's own storage.

With no DATABASE_URL, both are databases of the embedded server (`kis_market`, `kis_dagster`). With
DATABASE_URL, market data goes there and Dagster's storage goes to DAGSTER_DATABASE_URL, or to a database
named `<market db>_dagster` on the same server; the embedded server is never started.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

from kis_platform.settings import Settings, get_settings
from kis_platform.storage.embedded import EmbeddedPostgres

MARKET_DB = "kis_market"
DAGSTER_DB = "kis_dagster"


class DatabaseError(RuntimeError):
    """The database cannot be reached or prepared; the message is one actionable line."""


def embedded_server(settings: Settings) -> EmbeddedPostgres:
    return EmbeddedPostgres(root=settings.home / "postgres", port=settings.pg_port)


def _normalise(url: str) -> str:
    """psycopg wants plain postgresql://; SQLAlchemy-style driver suffixes are dropped."""
    parts = urlsplit(url)
    return urlunsplit(("postgresql", *parts[1:]))


def with_database(url: str, dbname: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + dbname, parts.query, parts.fragment))


def redact(url: str) -> str:
    """The URL with its password replaced, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@")
    return urlunsplit((parts.scheme, netloc, *parts[2:]))


def dagster_storage_url(dsn: str) -> str:
    """The URL Dagster's storage is given: explicitly the psycopg2 driver.

    dagster-postgres sets `statement_timeout` on each new webserver connection with `with conn:`, which ends
    a transaction in psycopg2 but *closes* the connection in psycopg 3 — and SQLAlchemy 2.1 maps a bare
    `postgresql://` to psycopg 3. Every storage query of the UI then fails with "the connection is closed".
    dagster-postgres depends on psycopg2-binary itself, so naming that driver costs nothing.
    """
    return urlunsplit(("postgresql+psycopg2", *urlsplit(dsn)[1:]))


def market_dsn(settings: Settings | None = None) -> str:
    """DSN of the market-data database. Never starts a server (run workers call this)."""
    settings = settings or get_settings()
    if settings.database_url:
        return _normalise(settings.database_url)
    return embedded_server(settings).dsn(MARKET_DB)


def dagster_dsn(settings: Settings | None = None) -> str:
    """DSN of the database that holds Dagster's runs, events and schedules."""
    settings = settings or get_settings()
    if settings.dagster_database_url:
        return _normalise(settings.dagster_database_url)
    if settings.database_url:
        market = _normalise(settings.database_url)
        return with_database(market, urlsplit(market).path.strip("/") + "_dagster")
    return embedded_server(settings).dsn(DAGSTER_DB)


def create_database_if_missing(admin_dsn: str, dbname: str) -> bool:
    """Create `dbname` on the server of `admin_dsn`; True if it was created."""
    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=10) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if exists:
            return False
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
        return True


def check_connection(dsn: str, what: str) -> None:
    try:
        psycopg.connect(dsn, connect_timeout=5).close()
    except psycopg.OperationalError as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise DatabaseError(f"cannot connect to {what} at {redact(dsn)}: {reason}") from None


@dataclass
class DatabaseRuntime:
    """The databases in use and, for the embedded path, the server."""

    market_dsn: str
    dagster_dsn: str
    server: EmbeddedPostgres | None

    @property
    def description(self) -> str:
        if self.server is None:
            return f"external PostgreSQL at {redact(self.market_dsn)}"
        return f"embedded PostgreSQL 18 on 127.0.0.1:{self.server.port} (data in {self.server.data_dir})"

    def stop(self) -> None:
        """Stop the embedded server if this process started it."""
        if self.server is not None and self.server.started_here:
            self.server.stop()


def ensure_database(settings: Settings | None = None) -> DatabaseRuntime:
    """Start (or reuse) the embedded server when needed, and make sure both databases exist."""
    settings = settings or get_settings()
    if settings.database_url:
        market, dagster = market_dsn(settings), dagster_dsn(settings)
        check_connection(market, "DATABASE_URL")
        if not settings.dagster_database_url:
            dbname = urlsplit(dagster).path.strip("/")
            try:
                create_database_if_missing(market, dbname)
            except psycopg.Error as exc:
                raise DatabaseError(
                    f"cannot create Dagster's database {dbname!r} ({str(exc).strip().splitlines()[0]}); "
                    "create it or set DAGSTER_DATABASE_URL"
                ) from None
        check_connection(dagster, "DAGSTER_DATABASE_URL")
        return DatabaseRuntime(market, dagster, None)

    server = embedded_server(settings).start()
    for dbname in (MARKET_DB, DAGSTER_DB):
        create_database_if_missing(server.dsn(), dbname)
    return DatabaseRuntime(server.dsn(MARKET_DB), server.dsn(DAGSTER_DB), server)
