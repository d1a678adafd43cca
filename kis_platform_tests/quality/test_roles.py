"""Analysts (read-only role) can query the quality tables and cannot change them."""

from __future__ import annotations

import psycopg
import pytest

from kis_platform.quality.completeness import compute_completeness, write_completeness
from kis_platform.quality.issues import record_issues
from kis_platform.storage.admin import role_dsn
from kis_platform.storage.roles import ANALYST_ROLE, ensure_roles
from kis_platform_tests.quality import frames as F


def test_analyst_reads_issues_and_ledger(market_db: str) -> None:
    with psycopg.connect(market_db, autocommit=True) as conn:
        ensure_roles(conn, conn.execute("SELECT current_database()").fetchone()[0], "a-pw-1", "w-pw-1")
    record_issues(market_db, asset="minute_bars", partition="2025-03-04", rule="stale_feed", severity="WARN",
                  details={"symbols": ["000660"]}, run_id="r1", symbol="000660", trade_date=F.DAY)
    write_completeness(market_db, compute_completeness(market_db, "daily_bars", F.DAY, ["005930"]))
    with pytest.raises(ValueError):
        record_issues(market_db, asset="a", partition=None, rule="x", severity="INFO", details={}, run_id=None)
    with psycopg.connect(role_dsn(market_db, ANALYST_ROLE, "a-pw-1"), autocommit=True) as conn:
        assert conn.execute("SELECT rule, severity, symbol, details->'symbols'->>0 FROM data_quality_issues"
                            ).fetchall() == [("stale_feed", "WARN", "000660", "000660")]
        assert conn.execute("SELECT symbol, expected_rows, present_rows, reason FROM completeness ORDER BY symbol"
                            ).fetchall() == [("*", 1, 0, "MISSING"), ("005930", 1, 0, "MISSING")]
        with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)):
            conn.execute("DELETE FROM data_quality_issues")
