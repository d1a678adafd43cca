"""The completeness ledger: for a data set, trading day and symbol, expected vs present rows and why any are
missing. One `symbol = '*'` line sums the day.

Reasons (the `completeness.reason` codes; the lower-case code in details.code):
COMPLETE; NOT_LISTED (not in instruments_as_of that day: nothing expected); HALTED / SUSPENDED (told by the
caller, e.g. KIS status 58); SOURCE_ERROR (the fetch failed, told by the caller); NO_TRADES (the day's volume
is 0, or the minute volumes already add up to the daily volume: the missing minutes had no trades);
NOT_YET_PUBLISHED (the source publishes the day later, e.g. flows after 18:00); BEYOND_RETENTION
("not_recoverable": the source no longer has it, or never will — option snapshots); MISSING ("pending":
unexplained and still re-fetchable, so a backfill should fill it); HOLIDAY for a closed day.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime

import pandas as pd
import psycopg

from kis_platform import calendar
from kis_platform.calendar import KST
from kis_platform.quality.expected import DEFAULT_EXPECTED, ExpectedFn, published_at
from kis_platform.quality.windows import DATASETS, partition_window
from kis_platform.storage.writer import get_writer

COLUMNS = ["dataset", "trade_date", "symbol", "expected_rows", "present_rows", "reason", "details"]
CODES = {"COMPLETE": "complete", "MISSING": "pending", "BEYOND_RETENTION": "not_recoverable", "HALTED": "halted",
         "SUSPENDED": "suspended", "NO_TRADES": "no_trades", "NOT_YET_PUBLISHED": "not_yet_published",
         "SOURCE_ERROR": "source_error", "NOT_LISTED": "not_listed", "HOLIDAY": "holiday"}


def _read(dsn: str, dataset: str, day: date) -> tuple[dict, set | None, dict, dict]:
    """(present rows per symbol, listed symbols or None if the master is empty, daily volumes, minute volumes)."""
    ds = DATASETS[dataset]
    lo, hi = (day, day + pd.Timedelta(days=1)) if ds.date_column else partition_window(day.isoformat())
    with psycopg.connect(dsn) as conn:
        present = dict(conn.execute(
            f"SELECT {ds.symbol_sql}, {ds.count_sql} FROM {ds.name} WHERE {ds.time_column} >= %s "
            f"AND {ds.time_column} < %s AND {ds.where} GROUP BY 1", (lo, hi)).fetchall())
        has_master = conn.execute("SELECT EXISTS (SELECT 1 FROM instrument_history)").fetchone()[0]
        listed = {r[0] for r in conn.execute("SELECT symbol FROM instruments_as_of(%s)", (day,))} if has_master \
            else None
        daily = {s: set(v) for s, v in conn.execute(
            "SELECT symbol, array_agg(DISTINCT volume) FROM daily_bars WHERE trade_date = %s AND NOT adjusted "
            "GROUP BY symbol", (day,))}
        minutes = dict(conn.execute("SELECT symbol, sum(volume) FROM minute_bars WHERE bar_start >= %s AND "
                                    "bar_start < %s GROUP BY symbol", partition_window(day.isoformat())).fetchall()) \
            if dataset == "minute_bars" else {}
    return present, listed, daily, minutes


def compute_completeness(dsn: str, dataset: str, trade_date: date, symbols: Iterable[str] | None = None,
                         expected_fn: ExpectedFn | None = None, *, now: datetime | None = None,
                         halted: Collection[str] = (), suspended: Collection[str] = (),
                         source_errors: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Ledger lines for `dataset` on `trade_date` (columns of the `completeness` table, '*' line last).

    `symbols` defaults to the watch list (KIS_SYMBOLS) for minute_bars, to the day's listed stocks for daily
    data, and to the symbols present for derivatives. `expected_fn(day, symbol)` overrides the expected count.
    """
    now = now or datetime.now(KST)
    ds = DATASETS[dataset]
    if not calendar.is_session(trade_date):
        return pd.DataFrame([[dataset, trade_date, "*", 0, 0, "HOLIDAY", {"code": "holiday"}]], columns=COLUMNS)
    present, listed, daily, minutes = _read(dsn, dataset, trade_date)
    if symbols is None:
        if dataset == "minute_bars":
            from kis_platform.settings import get_settings

            symbols = get_settings().symbols
        else:
            symbols = sorted(listed or present) if ds.stock else sorted(present)
    expect = expected_fn or (lambda d, s: DEFAULT_EXPECTED[dataset](d, now))
    errors = dict(source_errors or {})
    lines = []
    for symbol in dict.fromkeys(symbols):
        got = int(present.get(symbol, 0))
        if ds.stock and listed is not None and symbol not in listed:
            lines.append([dataset, trade_date, symbol, 0, got, "NOT_LISTED", {}])
            continue
        want = int(expect(trade_date, symbol))
        vols = daily.get(symbol, set())
        if got >= want:
            reason = "COMPLETE"
        elif symbol in halted:
            reason = "HALTED"
        elif symbol in suspended:
            reason = "SUSPENDED"
        elif symbol in errors:
            reason = "SOURCE_ERROR"
        elif vols == {0} or (got and minutes.get(symbol) is not None and int(minutes[symbol]) in vols):
            reason = "NO_TRADES"
        elif now < published_at(dataset, trade_date):
            reason = "NOT_YET_PUBLISHED"
        elif ds.retention is not None and (not ds.retention or now.date() - trade_date > ds.retention):
            reason = "BEYOND_RETENTION"
        else:
            reason = "MISSING"
        details = {"code": CODES[reason]} | ({"error": errors[symbol]} if symbol in errors else {})
        lines.append([dataset, trade_date, symbol, want, got, reason, details])
    df = pd.DataFrame(lines, columns=COLUMNS)
    return pd.concat([df, _total(df, dataset, trade_date)], ignore_index=True)


def _total(df: pd.DataFrame, dataset: str, day: date) -> pd.DataFrame:
    """The '*' line: sums, and the most serious reason among incomplete symbols (MISSING first)."""
    short = df[df["reason"] != "COMPLETE"]
    by_reason = short["reason"].value_counts().to_dict()
    order = ["MISSING", "SOURCE_ERROR", "BEYOND_RETENTION", "NOT_YET_PUBLISHED", "HALTED", "SUSPENDED", "NO_TRADES",
             "NOT_LISTED"]
    expected, present = int(df["expected_rows"].sum()), int(df["present_rows"].sum())
    reason = next((r for r in order if r in by_reason), "COMPLETE") if len(short) else "COMPLETE"
    if reason == "COMPLETE" and present < expected:
        reason = "MISSING"
    details = {"symbols": len(df), "incomplete_symbols": by_reason, "code": CODES[reason]}
    return pd.DataFrame([[dataset, day, "*", expected, present, reason, details]], columns=COLUMNS)


def write_completeness(dsn: str, ledger: pd.DataFrame) -> int:
    """Upsert ledger lines into `completeness` (re-measuring a day replaces its lines). Returns rows changed."""
    return get_writer(dsn).upsert("completeness", ledger.assign(updated_at=datetime.now(KST)),
                                  ["dataset", "trade_date", "symbol"])
