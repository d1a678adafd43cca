"""The completeness ledger on a seeded minute_bars day: expected vs present rows and a reason per shortfall."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import psycopg

from kis_platform.calendar import KST
from kis_platform.quality.checks import completeness_check
from kis_platform.quality.completeness import compute_completeness, write_completeness
from kis_platform.quality.expected import (
    futures_minutes,
    snapshot_minutes,
    stock_minutes,
)
from kis_platform_tests.quality import frames as F
from kis_platform_tests.quality.seed import (
    bars_at,
    expected_starts,
    list_symbols,
    write_minutes,
)

DAY = F.DAY
AFTER = dt.datetime(2025, 3, 5, 9, 0, tzinfo=KST)
WATCH = ["000010", "000020", "000030", "000040", "000050", "000060"]


def _seed(dsn: str) -> None:
    full = expected_starts(DAY)
    list_symbols(dsn, ["000010", "000020", "000030", "000040", "000060"])  # 000050 is not listed
    write_minutes(dsn, pd.concat([
        bars_at("000010", full),               # complete
        bars_at("000020", full[:200], volume=50),  # illiquid: the daily volume equals the minutes' sum
        bars_at("000030", full[:300]),         # 81 bars lost, no explanation
        bars_at("000040", full[:100]),         # halted at 10:40
    ], ignore_index=True))
    daily = F.daily_bars([DAY], "000020").assign(volume=200 * 50)
    from kis_platform.storage.writer import MarketWriter
    MarketWriter(dsn).upsert("daily_bars", daily, ["symbol", "trade_date", "source", "adjusted"])


def test_expected_counts_follow_the_calendar() -> None:
    assert stock_minutes(DAY) == 381 and futures_minutes(DAY) == 411 and snapshot_minutes(DAY) == 390
    assert stock_minutes(dt.date(2025, 1, 2)) == 321  # first session of the year opens at 10:00
    assert stock_minutes(dt.date(2025, 11, 13)) == 381  # CSAT day: 10:00-16:30, same length
    assert stock_minutes(DAY, now=dt.datetime(2025, 3, 4, 9, 30, tzinfo=KST)) == 30  # 09:00-09:29 have closed


def test_ledger_reasons(market_db: str) -> None:
    _seed(market_db)
    ledger = compute_completeness(market_db, "minute_bars", DAY, WATCH, now=AFTER, halted={"000040"},
                                  source_errors={"000060": "EGW00201 after 5 retries"})
    got = {r.symbol: (r.expected_rows, r.present_rows, r.reason) for r in ledger.itertuples()}
    assert got == {
        "000010": (381, 381, "COMPLETE"), "000020": (381, 200, "NO_TRADES"), "000030": (381, 300, "MISSING"),
        "000040": (381, 100, "HALTED"), "000050": (0, 0, "NOT_LISTED"), "000060": (381, 0, "SOURCE_ERROR"),
        "*": (381 * 5, 981, "MISSING"),
    }
    assert ledger.set_index("symbol").loc["000030", "details"]["code"] == "pending"
    assert write_completeness(market_db, ledger) == 7
    assert write_completeness(market_db, ledger) == 7  # re-measuring replaces, never duplicates
    with psycopg.connect(market_db) as conn:
        rows = conn.execute("SELECT symbol, missing_rows, reason FROM completeness WHERE dataset = 'minute_bars' "
                            "AND trade_date = %s ORDER BY symbol", (DAY,)).fetchall()
    assert rows[0] == ("*", 381 * 5 - 981, "MISSING") and len(rows) == 7


def test_reasons_depend_on_time(market_db: str) -> None:
    _seed(market_db)
    during = compute_completeness(market_db, "minute_bars", DAY, ["000010", "000030"],
                                  now=dt.datetime(2025, 3, 4, 13, 0, tzinfo=KST))
    assert during.set_index("symbol")["reason"].to_dict() == {"000010": "COMPLETE", "000030": "COMPLETE",
                                                             "*": "COMPLETE"}  # 240 bars due by 13:00
    late = compute_completeness(market_db, "minute_bars", DAY, ["000030"], now=dt.datetime(2026, 6, 1, tzinfo=KST))
    assert late.iloc[0]["reason"] == "BEYOND_RETENTION" and late.iloc[0]["details"]["code"] == "not_recoverable"
    flows = compute_completeness(market_db, "investor_flows", DAY, ["000010"],
                                 now=dt.datetime(2025, 3, 4, 16, 0, tzinfo=KST))
    assert flows.iloc[0]["reason"] == "NOT_YET_PUBLISHED"
    holiday = compute_completeness(market_db, "minute_bars", dt.date(2025, 3, 3), WATCH, now=AFTER)
    assert holiday["reason"].tolist() == ["HOLIDAY"]


def test_completeness_check_in_a_run(market_db: str, instance: dg.DagsterInstance) -> None:
    _seed(market_db)
    days = dg.StaticPartitionsDefinition([DAY.isoformat()])

    @dg.asset(name="minute_bars", partitions_def=days)
    def minute_bars() -> None:
        """Stands in for the real asset: the rows were seeded."""

    check = completeness_check("minute_bars", "minute_bars", days, threshold=0.99, dsn_fn=lambda: market_db,
                               symbols_fn=lambda d: WATCH, hints_fn=lambda d: {"halted": {"000040"}},
                               now_fn=lambda: AFTER)
    result = dg.materialize([minute_bars, check], instance=instance, partition_key=DAY.isoformat())
    [evaluation] = result.get_asset_check_evaluations()
    assert evaluation.check_name == "completeness" and not evaluation.passed
    assert evaluation.severity == dg.AssetCheckSeverity.WARN
    meta = {k: v.value for k, v in evaluation.metadata.items()}
    assert meta["rows_checked"] == 6 and meta["expected_rows"] == 381 * 5 and meta["present_rows"] == 981
    assert meta["unexplained_missing_rows"] == 81 + 381  # 000030's lost bars and 000060's missing day
    assert meta["num_failures"] == 2 and "000030" in meta["sample"]
    with psycopg.connect(market_db) as conn:
        assert conn.execute("SELECT count(*) FROM completeness WHERE trade_date = %s", (DAY,)).fetchone() == (7,)
