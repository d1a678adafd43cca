"""The market schema (sql/0010+): applies cleanly, documents itself, and enforces its invariants."""

from __future__ import annotations

import psycopg
import pytest

from kis_platform.storage.migrations import upgrade

TABLES = {
    "instruments", "instrument_history", "trading_calendar", "daily_bars", "minute_bars", "futures_minute_bars",
    "option_chain_snapshots", "option_matrices", "investor_flows", "raw_responses", "data_quality_issues",
    "completeness", "reconciliation_mismatches",
}
RESAMPLED = {"minute_bars_3m", "minute_bars_5m", "minute_bars_10m", "minute_bars_30m", "minute_bars_60m",
             "minute_bars_1d"}


def test_migrations_apply_to_an_empty_database_then_are_a_noop(empty_db: str) -> None:
    path, applied = upgrade(empty_db)
    assert path == "plain"
    assert {"0010_instruments", "0013_minute_bars", "0020_resampled_bars.plain"} <= set(applied)
    assert not any(a.endswith(".timescale") for a in applied)
    assert upgrade(empty_db) == ("plain", [])
    with psycopg.connect(empty_db) as conn:
        names = {r[0] for r in conn.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE nspname = 'public' AND relkind IN ('r', 'v', 'm')")}
    assert TABLES | RESAMPLED <= names


def test_every_table_and_column_has_a_comment(market_db: str) -> None:
    with psycopg.connect(market_db) as conn:
        bare_tables = conn.execute(
            "SELECT relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE nspname = 'public' AND relkind IN ('r', 'v', 'm') AND obj_description(c.oid, 'pg_class') IS NULL"
        ).fetchall()
        bare_columns = conn.execute(
            "SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'public' AND relkind IN ('r', 'v', 'm') "
            "AND relname <> 'schema_migrations' AND a.attnum > 0 AND NOT a.attisdropped "
            "AND col_description(c.oid, a.attnum) IS NULL"
        ).fetchall()
        text_prices = conn.execute(
            "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND column_name IN ('open', 'high', 'low', 'close', 'price', 'strike') AND data_type = 'text'"
        ).fetchall()
        naive_times = conn.execute(
            "SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND data_type = 'timestamp without time zone'"
        ).fetchall()
    assert bare_tables == [] and bare_columns == [] and text_prices == [] and naive_times == []


@pytest.mark.parametrize("statement", [
    # high below low
    "INSERT INTO minute_bars VALUES ('005930', '2025-03-04 09:00+09', '2025-03-04 09:01+09', 100, 90, 95, 95, 1, NULL,"
    " 'krx_regular', '2025-03-04', true, 'SIM_KIS', now())",
    # zero price
    "INSERT INTO minute_bars VALUES ('005930', '2025-03-04 09:00+09', '2025-03-04 09:01+09', 0, 0, 0, 0, 1, NULL,"
    " 'krx_regular', '2025-03-04', true, 'SIM_KIS', now())",
    # lower-case / short code
    "INSERT INTO minute_bars VALUES ('5930', '2025-03-04 09:00+09', '2025-03-04 09:01+09', 1, 1, 1, 1, 1, NULL,"
    " 'krx_regular', '2025-03-04', true, 'SIM_KIS', now())",
    # negative volume
    "INSERT INTO daily_bars (symbol, trade_date, source, open, high, low, close, volume, fetched_at) "
    "VALUES ('005930', '2025-03-04', 'KRX', 1, 1, 1, 1, -1, now())",
    # KRX publishes raw prices only
    "INSERT INTO daily_bars (symbol, trade_date, source, adjusted, open, high, low, close, volume, fetched_at) "
    "VALUES ('005930', '2025-03-04', 'KRX', true, 1, 1, 1, 1, 1, now())",
    # unknown source
    "INSERT INTO daily_bars (symbol, trade_date, source, open, high, low, close, volume, fetched_at) "
    "VALUES ('005930', '2025-03-04', 'NAVER', 1, 1, 1, 1, 1, now())",
    "INSERT INTO data_quality_issues (asset, rule, severity) VALUES ('a', 'r', 'INFO')",
    "INSERT INTO completeness (dataset, trade_date, expected_rows, present_rows, reason) "
    "VALUES ('minute_bars', '2025-03-04', 381, 380, 'COMPLETE')",
    "INSERT INTO trading_calendar (day, is_open, source, fetched_at) VALUES ('2025-03-04', true, 'KIS', now())",
])
def test_check_constraints_refuse_impossible_rows(market_db: str, statement: str) -> None:
    with psycopg.connect(market_db) as conn, pytest.raises(psycopg.errors.CheckViolation):
        conn.execute(statement)


def _instrument(conn: psycopg.Connection, **values: object) -> None:
    row = {"isin": "KR7005930003", "symbol": "005930", "name": "삼성전자", "market": "KOSDAQ", "is_active": True,
           "listing_date": None, "delisting_date": None, "source": "SIM_KIS"}
    row.update(values)
    conn.execute(
        "INSERT INTO instruments (isin, symbol, name, market, is_active, listing_date, delisting_date, source, "
        "fetched_at) VALUES (%(isin)s, %(symbol)s, %(name)s, %(market)s, %(is_active)s, %(listing_date)s, "
        "%(delisting_date)s, %(source)s, now()) ON CONFLICT (isin) DO UPDATE SET symbol = EXCLUDED.symbol, "
        "name = EXCLUDED.name, market = EXCLUDED.market, is_active = EXCLUDED.is_active, "
        "delisting_date = EXCLUDED.delisting_date", row)


def test_instrument_history_is_point_in_time(market_db: str) -> None:
    with psycopg.connect(market_db, autocommit=True) as conn:
        _instrument(conn, listing_date="2020-01-02")
        assert conn.execute("SELECT sync_instrument_history('2024-01-02')").fetchone() == (1,)
        assert conn.execute("SELECT sync_instrument_history('2024-01-02')").fetchone() == (0,)  # idempotent
        _instrument(conn, market="KOSPI")  # moved to KOSPI
        conn.execute("SELECT sync_instrument_history('2024-06-03')")
        _instrument(conn, market="KOSPI", name="삼성전자우")  # renamed
        conn.execute("SELECT sync_instrument_history('2024-09-02')")
        _instrument(conn, market="KOSPI", name="삼성전자우", is_active=False, delisting_date="2025-01-02")
        conn.execute("SELECT sync_instrument_history('2025-01-02')")
        history = conn.execute("SELECT valid_from::text, valid_to::text, market, name, change_reason "
                               "FROM instrument_history ORDER BY valid_from").fetchall()
        assert history == [
            ("2020-01-02", "2024-06-03", "KOSDAQ", "삼성전자", "LISTING"),
            ("2024-06-03", "2024-09-02", "KOSPI", "삼성전자", "MARKET_MOVE"),
            ("2024-09-02", "2025-01-02", "KOSPI", "삼성전자우", "RENAME"),
        ]

        def as_of(day: str) -> list[tuple]:
            return conn.execute("SELECT market, name FROM instruments_as_of(%s)", (day,)).fetchall()

        assert as_of("2019-12-31") == []
        assert as_of("2024-06-02") == [("KOSDAQ", "삼성전자")]
        assert as_of("2024-06-03") == [("KOSPI", "삼성전자")]
        assert as_of("2025-01-01") == [("KOSPI", "삼성전자우")]
        assert as_of("2025-01-02") == []
        with pytest.raises(psycopg.errors.ExclusionViolation):
            conn.execute("INSERT INTO instrument_history (isin, valid_from, valid_to, symbol, name, market, "
                         "change_reason, source) VALUES ('KR7005930003', '2024-07-01', NULL, '005930', 'x', "
                         "'KOSPI', 'OTHER', 'SIM_KIS')")


def test_investor_flow_revisions_are_counted(market_db: str) -> None:
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute("INSERT INTO investor_flows (symbol, trade_date, source, fetched_at, pension_fund_net_qty) "
                     "VALUES ('005930', '2025-03-04', 'KIS', now(), 10)")
        conn.execute("UPDATE investor_flows SET fetched_at = now() + interval '1 minute'")  # same figures
        assert conn.execute("SELECT revision FROM investor_flows").fetchone() == (0,)
        conn.execute("UPDATE investor_flows SET pension_fund_net_qty = 12, fetched_at = now()")
        assert conn.execute("SELECT revision FROM investor_flows").fetchone() == (1,)


def test_calendar_flags_disagreeing_sources(market_db: str) -> None:
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute("INSERT INTO trading_calendar (day, is_open, open_at, close_at, kis_is_open, xkrx_is_open, "
                     "source, fetched_at) VALUES ('2024-10-01', false, NULL, NULL, false, true, 'KIS', now()), "
                     "('2024-10-02', true, '2024-10-02 09:00+09', '2024-10-02 15:30+09', true, NULL, 'KIS', now())")
        rows = conn.execute("SELECT day::text, sources_agree FROM trading_calendar ORDER BY day").fetchall()
    assert rows == [("2024-10-01", False), ("2024-10-02", True)]
