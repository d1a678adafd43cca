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


def test_0104_mends_a_database_that_applied_the_first_form_of_0103(empty_db: str, tmp_path: Path) -> None:
    """0103 was edited after it had landed (two column comments added). A database that applied its first form
    gets the comments from 0104 and no longer lists 0103 as changed."""
    from kis_platform.storage.migrations import SQL_DIR

    for path in SQL_DIR.glob("*.sql"):
        if int(path.name[:4]) < 103:
            _write(tmp_path, path.name, path.read_text())
    present = (SQL_DIR / "0103_minute_bar_value_ranges.sql").read_text()
    first_form = "".join(line for line in present.splitlines(keepends=True) if "COMMENT ON COLUMN" not in line)
    _write(tmp_path, "0103_minute_bar_value_ranges.sql", first_form)
    upgrade(empty_db, tmp_path)
    comments = "SELECT col_description('minute_bars'::regclass, attnum) FROM pg_attribute " \
               "WHERE attrelid = 'minute_bars'::regclass AND attname IN ('high', 'volume') ORDER BY attname"
    with psycopg.connect(empty_db) as conn:
        assert conn.execute("SELECT checksum FROM schema_migrations WHERE id = '0103_minute_bar_value_ranges'"
                            ).fetchone()[0] == "817e765c8102c345"  # byte for byte the first form
        before = [r[0] for r in conn.execute(comments)]
    assert not any("constraint" in c for c in before)
    st = status(empty_db)
    assert st.changed == ["0103_minute_bar_value_ranges"]
    assert [m.id for m in st.pending] == ["0104_minute_bar_value_range_comments"]

    assert upgrade(empty_db)[1] == ["0104_minute_bar_value_range_comments"]
    with psycopg.connect(empty_db) as conn:
        after = [r[0] for r in conn.execute(comments)]
    assert "minute_bars_prices_fit_int4" in after[0] and "minute_bars_volume_below_2_60" in after[1]
    assert status(empty_db).changed == []
