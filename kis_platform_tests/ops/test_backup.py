"""Backups on a real PostgreSQL: dump, drop the database, restore, same rows; verification catches a bad dump."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import psutil
import psycopg
import pytest

from kis_platform.ops.backup import BackupError, backup, list_backups, restore, table_counts
from kis_platform.ops.verify import verify_latest
from kis_platform_tests.conftest import PgServer
from kis_platform_tests.export.test_export import SEED

UTC = dt.timezone.utc


def _counts(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as conn:
        return table_counts(conn)


def test_backup_drop_restore_gives_same_rows(pg_server: PgServer, market_db: str, tmp_path: Path) -> None:
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute(SEED)
    before = _counts(market_db)
    assert before["daily_bars"] == 54 and before["instrument_history"] == 4
    result = backup(market_db, tmp_path)
    assert result.path.exists() and result.counts == before and result.bytes > 0
    pg_server.drop_db(market_db)

    target = pg_server.create_db()
    try:
        restore(result.path, target)
        assert _counts(target) == before
        with psycopg.connect(target) as conn:
            assert conn.execute("SELECT count(*) FROM instruments_as_of('2026-01-06')").fetchone()[0] == 2
    finally:
        pg_server.drop_db(target)


def test_password_never_on_a_command_line(market_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    password = market_db.split(":")[2].split("@")[0]
    seen: list[list[str]] = []
    real_run = subprocess.run

    def spy(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        seen.append(list(cmd))
        assert kwargs["env"]["PGPASSWORD"] == password  # type: ignore[index]
        return real_run(cmd, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(subprocess, "run", spy)
    backup(market_db, tmp_path)
    assert seen and not any(password in " ".join(cmd) for cmd in seen)
    assert not any(password in " ".join(p.info["cmdline"] or []) for p in psutil.process_iter(["cmdline"]))


def test_verify_passes_then_catches_a_dump_that_lost_rows(market_db: str, tmp_path: Path) -> None:
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute(SEED)
    backup(market_db, tmp_path, now=dt.datetime(2026, 1, 9, 10, tzinfo=UTC))
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute("INSERT INTO investor_flows (symbol, trade_date, source, fetched_at) VALUES "
                     "('005930', '2026-01-06', 'KRX', now())")
    report = verify_latest(market_db, tmp_path)
    assert report.passed, report.lines()
    flows = next(t for t in report.tables if t.table == "investor_flows")
    assert (flows.at_backup, flows.restored, flows.live_now) == (2, 2, 3)

    # A dump whose recorded counts disagree with what it restores must fail the check.
    newest = list_backups(tmp_path)[-1]
    counts = newest.with_suffix(".counts.json")
    counts.write_text(counts.read_text().replace('"daily_bars": 54', '"daily_bars": 55'))
    bad = verify_latest(market_db, tmp_path)
    assert not bad.passed and [t.table for t in bad.mismatches] == ["daily_bars"]
    with psycopg.connect(market_db) as conn:
        leftovers = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'kis_restore_check_%'").fetchall()
    assert leftovers == []


def test_keeps_seven_days_but_always_the_newest(market_db: str, tmp_path: Path) -> None:
    first = backup(market_db, tmp_path, now=dt.datetime(2026, 1, 1, 18, tzinfo=UTC))
    backup(market_db, tmp_path, now=dt.datetime(2026, 1, 5, 18, tzinfo=UTC))
    last = backup(market_db, tmp_path, now=dt.datetime(2026, 1, 9, 18, tzinfo=UTC))
    assert last.removed == [first.path]
    assert [p.name for p in list_backups(tmp_path)] == ["kis_market-20260105T180000Z.dump",
                                                          "kis_market-20260109T180000Z.dump"]
    assert not first.path.with_suffix(".counts.json").exists()
    only = backup(market_db, tmp_path / "solo", now=dt.datetime(2020, 1, 1, tzinfo=UTC), keep_days=0)
    assert only.removed == [] and list_backups(tmp_path / "solo") == [only.path]


def test_missing_backup_and_bad_server_are_one_line(market_db: str, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="no backup in .*run `kis-platform backup` first"):
        verify_latest(market_db, tmp_path)
    with pytest.raises((BackupError, psycopg.OperationalError)):
        backup(market_db.rsplit(":", 1)[0] + ":1/x", tmp_path)
