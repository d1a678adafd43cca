"""Shared fixtures: one real embedded PostgreSQL 18 server per test session (or DATABASE_URL's server)."""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from kis_platform.storage.database import with_database
from kis_platform.storage.embedded import EmbeddedPostgres, EmbeddedPostgresError, port_is_free
from kis_platform.storage.migrations import upgrade

TEMPLATE_DB = "kis_test_template"


class PgServer:
    """The test server: an admin DSN and helpers to make throwaway databases."""

    def __init__(self, admin_dsn: str, embedded: EmbeddedPostgres | None) -> None:
        self._admin = admin_dsn
        self.embedded = embedded

    def admin_dsn(self, dbname: str = "postgres") -> str:
        return with_database(self._admin, dbname)

    def create_db(self, template: str | None = None) -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.admin_dsn(), autocommit=True) as conn:
            query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
            if template:
                query += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
            conn.execute(query)
        return self.admin_dsn(name)

    def drop_db(self, dsn: str) -> None:
        name = dsn.rsplit("/", 1)[1]
        with psycopg.connect(self.admin_dsn(), autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _free_port() -> int:
    import random

    for port in random.sample(range(55400, 56000), 600):
        if port_is_free(port):
            return port
    raise RuntimeError("no free port for the test PostgreSQL server")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PgServer]:
    external = os.environ.get("KIS_TEST_DATABASE_URL")
    if external:
        yield PgServer(external, None)
        return
    # Not under pytest's basetemp: pytest deletes older numbered basetemps when another session starts, which
    # would pull the data directory from under a running server.
    root = Path(tempfile.mkdtemp(prefix="kis-test-pg-"))
    for _attempt in range(5):  # another test session may grab the same free port between check and start
        try:
            server = EmbeddedPostgres(root=root, port=_free_port()).start()
            break
        except EmbeddedPostgresError:
            continue
    else:
        raise RuntimeError("could not start the test PostgreSQL server on a free port")
    try:
        yield PgServer(server.dsn(), server)
    finally:
        server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def migrated_template(pg_server: PgServer) -> str:
    """A database with every migration applied, used as a template (CREATE DATABASE … TEMPLATE is fast)."""
    with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(TEMPLATE_DB)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(TEMPLATE_DB)))
    upgrade(pg_server.admin_dsn(TEMPLATE_DB))
    return TEMPLATE_DB


@pytest.fixture
def empty_db(pg_server: PgServer) -> Iterator[str]:
    dsn = pg_server.create_db()
    yield dsn
    pg_server.drop_db(dsn)


@pytest.fixture
def market_db(pg_server: PgServer, migrated_template: str) -> Iterator[str]:
    dsn = pg_server.create_db(template=migrated_template)
    yield dsn
    pg_server.drop_db(dsn)
