"""The migration runner against a real (embedded) PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from kis_platform.storage.migrations import MigrationError, discover, status, upgrade


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(text)


def test_empty_database_gets_every_migration_then_rerun_is_noop(empty_db: str) -> None:
    path, applied = upgrade(empty_db)
    assert path == "plain"  # no TimescaleDB package on this machine
    expected = [m.id for m in discover() if m.applies_to(False)]
    assert applied == expected
    assert "0001_timescaledb.timescale" not in applied
    again_path, again = upgrade(empty_db)
    assert (again_path, again) == ("plain", [])
    st = status(empty_db)
    assert not st.pending and set(st.applied) == set(expected)
    assert [m.id for m in st.skipped if m.variant == "timescale"]


def test_failing_migration_rolls_back_and_is_reported(empty_db: str, tmp_path: Path) -> None:
    _write(tmp_path, "0001_first.sql", "CREATE TABLE a (x int);")
    _write(tmp_path, "0002_broken.sql", "CREATE TABLE b (x int);\nINSERT INTO b VALUES (1);\nSELECT no_such_function();")
    with pytest.raises(MigrationError, match="0002_broken.sql failed and was rolled back"):
        upgrade(empty_db, tmp_path)
    with psycopg.connect(empty_db) as conn:
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        ids = {r[0] for r in conn.execute("SELECT id FROM schema_migrations")}
    assert "a" in tables and "b" not in tables
    assert ids == {"0001_first"}
    # fixed file: the next upgrade applies it
    _write(tmp_path, "0002_broken.sql", "CREATE TABLE b (x int);")
    assert upgrade(empty_db, tmp_path) == ("plain", ["0002_broken"])


def test_variants_pick_the_path_and_bad_names_are_rejected(empty_db: str, tmp_path: Path) -> None:
    _write(tmp_path, "0001_t.timescale.sql", "SELECT create_hypertable('x', 'y');")
    _write(tmp_path, "0001_t.plain.sql", "CREATE VIEW v AS SELECT 1 AS one;")
    assert upgrade(empty_db, tmp_path) == ("plain", ["0001_t.plain"])
    _write(tmp_path, "12_bad.sql", "")
    with pytest.raises(MigrationError, match="must be named"):
        discover(tmp_path)


def test_changed_applied_file_is_reported(empty_db: str, tmp_path: Path) -> None:
    _write(tmp_path, "0001_a.sql", "CREATE TABLE a (x int);")
    upgrade(empty_db, tmp_path)
    _write(tmp_path, "0001_a.sql", "CREATE TABLE a (x int, y int);")
    assert status(empty_db, tmp_path).changed == ["0001_a"]
