"""Fixtures for the quality tests: a Dagster instance on PostgreSQL (as in production: dagster.yaml uses
dagster-postgres, whose event log reads by cursor across runs) and pool clean-up around the market database."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from kis_platform.storage.database import dagster_storage_url
from kis_platform.storage.pool import close_pools
from kis_platform_tests.conftest import PgServer


@pytest.fixture(autouse=True)
def _close_pools() -> Iterator[None]:
    yield
    close_pools()  # the writer's pools point at a database the fixture is about to drop


@pytest.fixture
def instance(pg_server: PgServer) -> Iterator[dg.DagsterInstance]:
    dsn = pg_server.create_db()
    try:
        with dg.instance_for_test(overrides={"storage": {"postgres": {"postgres_url": dagster_storage_url(dsn)}}}) \
                as inst:
            yield inst
    finally:
        pg_server.drop_db(dsn)
