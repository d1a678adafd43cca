"""kis_analyst reads and cannot write or see landing-zone payloads; kis_writer writes rows but no DDL."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from kis_platform.storage.admin import role_dsn
from kis_platform.storage.pool import close_pools
from kis_platform.storage.roles import ANALYST_ROLE, WRITER_ROLE, ensure_roles
from kis_platform.storage.writer import MarketWriter
from kis_platform_tests.storage.factories import day_window, minute_bars
from kis_platform_tests.storage.test_writer import D1

ANALYST_PW, WRITER_PW = "analyst-secret-1", "writer-secret-1"


@pytest.fixture
def roles(market_db: str) -> Iterator[tuple[str, str]]:
    with psycopg.connect(market_db, autocommit=True) as conn:
        database = conn.execute("SELECT current_database()").fetchone()[0]
        ensure_roles(conn, database, ANALYST_PW, WRITER_PW)
        ensure_roles(conn, database, ANALYST_PW, WRITER_PW)  # idempotent
        conn.execute("INSERT INTO raw_responses (fetched_at, source, path, params, status, body) "
                     "VALUES (now(), 'SIM_KIS', '/x', '{\"k\": 1}', 200, 'secret body')")
    yield role_dsn(market_db, ANALYST_ROLE, ANALYST_PW), role_dsn(market_db, WRITER_ROLE, WRITER_PW)
    close_pools()


def test_analyst_reads_but_cannot_write(roles: tuple[str, str]) -> None:
    analyst, _ = roles
    with psycopg.connect(analyst, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM minute_bars").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM minute_bars_5m").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM instruments_as_of('2025-03-04')").fetchone() == (0,)
        for statement in (
            "INSERT INTO completeness (dataset, trade_date, expected_rows, present_rows, reason) "
            "VALUES ('x', '2025-03-04', 1, 1, 'COMPLETE')",
            "DELETE FROM minute_bars",
            "CREATE TABLE mine (x int)",
        ):
            with pytest.raises(psycopg.Error) as info:
                conn.execute(statement)
            # read-only transactions or missing privileges: either way, refused
            assert isinstance(info.value, (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction))
        conn.execute("SET default_transaction_read_only = off")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE trading_calendar SET is_open = true")


def test_analyst_sees_calls_but_not_raw_bodies(roles: tuple[str, str]) -> None:
    analyst, _ = roles
    with psycopg.connect(analyst, autocommit=True) as conn:
        assert conn.execute("SELECT source, path, status, body_bytes FROM raw_responses").fetchall() == [
            ("SIM_KIS", "/x", 200, 11)]
        for column in ("body", "params", "*"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(f"SELECT {column} FROM raw_responses")


def test_writer_role_writes_rows_but_no_ddl(roles: tuple[str, str]) -> None:
    _, writer_dsn = roles
    df = minute_bars(D1, ["005930"], minutes=5)
    writer = MarketWriter(writer_dsn)
    assert writer.replace_window("minute_bars", df, "bar_start", *day_window(D1)) == 5
    assert writer.upsert("minute_bars", df, ["symbol", "bar_start"]) == 5
    assert writer.upsert("minute_bars", df.assign(volume=df["volume"] + 1), ["symbol", "bar_start"]) == 5
    with psycopg.connect(writer_dsn, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM minute_bars_1d").fetchone() == (1,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DROP TABLE minute_bars")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("CREATE TABLE mine (x int)")
