"""Expected vs present for one trading day of each minute-level data set (the day audit's measurements).

Grids (from the calendar, late opens and CSAT days included):
* stock bars: open .. close, minus the 10-minute closing call (381 minutes on a normal day);
* futures bars: 15 minutes before the open .. 15 after the close, minus its closing call (411);
* option snapshots: every minute of [open, close) for each of the two nearest monthly expiries trading then (390);
* option matrices: one matrix (every metric) per stored snapshot minute and expiry.
Minutes that had not closed when the audit runs are not expected; neither are universe stocks not yet due in
their 25-minute cycle. Verification (which empty cells are "no trades") is explained in audit_ledger.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta

import dagster as dg
import numpy as np
import psycopg

from kis_platform import calendar
from kis_platform.calendar import KST
from kis_platform.defs.intraday import cycle
from kis_platform.defs.intraday.audit_ledger import (
    Measured,
    latest_metadata,
    ledger_lines,
    verify,
)
from kis_platform.defs.intraday.futures import window as futures_window
from kis_platform.defs.options import matrix as mx
from kis_platform.defs.partitions import MINUTE_RETENTION, minute_key
from kis_platform.quality.expected import CLOSING_CALL, DERIVATIVES

MINUTE = timedelta(minutes=1)
UNDERLYINGS = ("KOSPI200", "KOSDAQ150")
OPTION_UNDERLYING = "KOSPI200"


class Day:
    """One session's minute axes and what had closed at `now`."""

    def __init__(self, day: date, now: datetime) -> None:
        self.day, self.now = day, now
        self.open, self.close = calendar.session_bounds(day)
        self.last = int((self.close - self.open) / MINUTE)  # close index
        self.minutes = [self.open + i * MINUTE for i in range(self.last + 1)]
        self.keys = [minute_key(m) for m in self.minutes]
        self.closed = np.array([m + MINUTE <= now for m in self.minutes])
        # index of the newest closed bar of the stock session (-1 before the first)
        self.last_closed = int(self.closed.sum()) - 1
        self.refetch_reason = "BEYOND_RETENTION" if now.date() - day > MINUTE_RETENTION else "MISSING"
        self.start = datetime.combine(day, datetime.min.time(), KST)

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def stock_grid(self) -> np.ndarray:
        call = np.array([self.close - CLOSING_CALL <= m < self.close for m in self.minutes])
        return self.closed & ~call


def _offsets(dsn: str, query: str, params: tuple) -> dict[str, list[int]]:
    with psycopg.connect(dsn) as conn:
        return {k: list(v) for k, v in conn.execute(query, params).fetchall()}


def _stock_present(dsn: str, d: Day, symbols: Sequence[str]) -> tuple[np.ndarray, int]:
    """Bool cells symbols x session minutes, and the number of bars outside the session's minutes."""
    got = _offsets(dsn, "SELECT symbol, array_agg(round(extract(epoch FROM bar_start - %s) / 60)::int) FROM minute_bars "
                        "WHERE symbol = ANY(%s) AND bar_start >= %s AND bar_start < %s GROUP BY symbol",
                   (d.open, list(symbols), d.start, d.start + timedelta(days=1)))
    present = np.zeros((len(symbols), d.last + 1), dtype=bool)
    outside = 0
    for i, s in enumerate(symbols):
        offs = np.array(got.get(s, []), dtype=int)
        inside = (offs >= 0) & (offs <= d.last)
        present[i, offs[inside]] = True
        outside += int((~inside).sum())
    return present, outside


def watch_list(instance: dg.DagsterInstance, dsn: str, d: Day, symbols: Sequence[str]) -> Measured:
    """minute_bars of the watch list: a materialized minute verifies its column when every bar it stored is there."""
    symbols = sorted(set(symbols))
    present, outside = _stock_present(dsn, d, symbols)
    expected = np.tile(d.stock_grid(), (len(symbols), 1))
    verified = np.zeros_like(present)
    runs = latest_metadata(instance, "minute_bars", d.keys)
    lost = [k for k, meta in runs.items() if not verify(verified, present, slice(None), d.index(k), d.index(k),
                                                          meta.get("dagster/row_count"))]
    lines, sample = ledger_lines("minute_bars", d.day, symbols, d.minutes, expected, present, verified, d.refetch_reason)
    gaps = expected & ~present & ~verified
    gap_keys = sorted({d.keys[j] for j in np.flatnonzero(gaps.any(axis=0))})
    # Minutes never materialized are repair_missed_minutes' job; rows lost after a materialization are not.
    return Measured("minute_bars", "minute_bars", True, lines, sample, [k for k in gap_keys if k in runs],
                    {"not_materialized_minutes": len([k for k in gap_keys if k not in runs]),
                     "minutes_with_lost_rows": len(lost), "bars_outside_session": outside})


def universe(instance: dg.DagsterInstance, dsn: str, d: Day, listed: Sequence[str]) -> Measured:
    """universe_minute_bars: a materialized minute verifies its slice x window when every bar it stored is there."""
    symbols = sorted(set(listed))
    row = {s: i for i, s in enumerate(symbols)}
    present, outside = _stock_present(dsn, d, symbols)
    expected = np.tile(d.stock_grid(), (len(symbols), 1))
    for i in range(len(symbols)):  # a stock is due up to its last visit that has happened
        seen = cycle.last_visit(i, d.last_closed, d.last) if d.last_closed >= 0 else None
        expected[i, (0 if seen is None else seen + 1):] = False
    verified = np.zeros_like(present)
    runs = latest_metadata(instance, "universe_minute_bars", d.keys)
    for key, meta in runs.items():
        j = d.index(key)
        rows = [row[s] for s in cycle.cycle_slice(symbols, j, d.last)]
        start = meta.get("window_start")
        lo = d.index(f"{key[:10]}-{start}") if start and f"{key[:10]}-{start}" in d.keys else max(0, j - cycle.LIVE_REACH)
        verify(verified, present, rows, lo, j, meta.get("bars_stored"))
    lines, sample = ledger_lines("universe_minute_bars", d.day, symbols, d.minutes, expected, present, verified,
                                 d.refetch_reason)
    gaps = np.argwhere(expected & ~present & ~verified)
    repair = sorted({d.keys[cycle.visit_at_or_after(i, j, d.last)] for i, j in gaps})
    return Measured("universe_minute_bars", "universe_minute_bars", True, lines, sample, repair,
                    {"universe_size": len(symbols), "visits_materialized": len(runs), "bars_outside_session": outside})


def futures(instance: dg.DagsterInstance, dsn: str, d: Day) -> Measured:
    """futures_minute_bars of the KOSPI200 and KOSDAQ150 front months, counted per underlying."""
    first = d.open - DERIVATIVES
    minutes = [first + i * MINUTE for i in range(d.last + 1 + 2 * int(DERIVATIVES / MINUTE))]
    call_from = d.close + DERIVATIVES - CLOSING_CALL
    grid = np.array([m + MINUTE <= d.now and not (call_from <= m < d.close + DERIVATIVES) for m in minutes])
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT underlying, symbol, round(extract(epoch FROM bar_start - %s) / 60)::int "
                            "FROM futures_minute_bars WHERE bar_start >= %s AND bar_start <= %s",
                            (first, first, minutes[-1])).fetchall()
    count = np.zeros((len(UNDERLYINGS), len(minutes)), dtype=int)
    contracts: dict[str, dict[str, int]] = {u: {} for u in UNDERLYINGS}
    for underlying, symbol, off in rows:
        if underlying in contracts:
            count[UNDERLYINGS.index(underlying), off] += 1
            contracts[underlying][symbol] = contracts[underlying].get(symbol, 0) + 1
    present, verified = count > 0, np.zeros((len(UNDERLYINGS), len(minutes)), dtype=bool)
    runs = latest_metadata(instance, "futures_minute_bars", d.keys)
    for key, meta in runs.items():
        lo, hi = futures_window(d.minutes[d.index(key)])
        hi -= int(meta.get("not_yet_closed") or 0) * MINUTE
        verify(verified, count, slice(None), int((lo - first) / MINUTE), int((hi - first) / MINUTE),
               meta.get("rows_refreshed"))
    names = [max(c, key=c.get) if c else u for u, c in contracts.items()]
    expected = np.tile(grid, (len(UNDERLYINGS), 1))
    lines, sample = ledger_lines("futures_minute_bars", d.day, names, minutes, expected, present, verified,
                                 d.refetch_reason)
    gaps = np.flatnonzero((expected & ~present & ~verified).any(axis=0))
    gap_keys = sorted({minute_key(min(max(minutes[j], d.open), d.close)) for j in gaps})
    # As for the watch list: partitions never materialized are repair_missed_minutes' job.
    return Measured("futures_minute_bars", "futures_minute_bars", True, lines, sample, [k for k in gap_keys if k in runs],
                    {"contracts": {u: sorted(c) for u, c in contracts.items()},
                     "minutes_with_two_contracts": int((count > 1).sum()),
                     "not_materialized_minutes": len([k for k in gap_keys if k not in runs])})


def _expiries_by_minute(d: Day) -> list[list[str]]:
    """Per session minute, the option expiries (YYYYMM_KOSPI200) the snapshot should hold: the two nearest
    monthlies still trading when the minute's snapshot is taken (just after the minute)."""
    first = d.day.replace(day=1)
    months = [(first + timedelta(days=32 * i)).strftime("%Y%m") for i in range(3)]
    return [[f"{m}_{OPTION_UNDERLYING}" for m in mx.nearest_monthlies(months, t + MINUTE)] for t in d.minutes[:-1]]


def options(dsn: str, d: Day) -> tuple[Measured, Measured]:
    """option_chain_snapshots (lost for good when missed: not recoverable) and option_matrices (rebuilt from the
    stored snapshot: refetchable)."""
    n = d.last  # snapshot minutes: [open, close)
    want_by_minute = _expiries_by_minute(d)
    window = (d.start, d.start + timedelta(days=1))
    snaps = _offsets(dsn, "SELECT expiry || '_' || underlying, array_agg(DISTINCT round(extract(epoch FROM snapshot_ts "
                          "- %s) / 60)::int) FROM option_chain_snapshots WHERE snapshot_ts >= %s AND snapshot_ts < %s "
                          "GROUP BY 1", (d.open, *window))
    with psycopg.connect(dsn) as conn:
        mats = conn.execute("SELECT underlying_symbol, round(extract(epoch FROM \"timestamp\" - %s) / 60)::int, count(*) "
                            "FROM option_matrices WHERE \"timestamp\" >= %s AND \"timestamp\" < %s GROUP BY 1, 2",
                            (d.open, *window)).fetchall()
        sizes = [r[0] for r in conn.execute("SELECT count(*) FROM option_chain_snapshots WHERE snapshot_ts >= %s AND "
                                            "snapshot_ts < %s GROUP BY snapshot_ts, expiry", window)]
    symbols = sorted({s for ws in want_by_minute for s in ws} | set(snaps))
    minutes = d.minutes[:n]
    closed = d.closed[:n]
    expected = np.array([[s in ws for ws in want_by_minute] for s in symbols], dtype=bool).reshape(len(symbols), n)
    expected &= closed
    present = np.zeros((len(symbols), n), dtype=bool)
    for i, s in enumerate(symbols):
        offs = [o for o in snaps.get(s, []) if 0 <= o < n]
        present[i, offs] = True
    none = np.zeros_like(present)
    lines, sample = ledger_lines("option_chain_snapshots", d.day, symbols, minutes, expected, present, none,
                                 "BEYOND_RETENTION")
    snap = Measured("option_chain_snapshots", "option_chain_snapshots", False, lines, sample, [], {
        "rows_per_snapshot_min": min(sizes, default=0), "rows_per_snapshot_median": float(np.median(sizes)) if sizes else 0.0,
        "unexpected_expiry_minutes": int((present & ~expected).sum()),
        "lost_minutes": {s: [minutes[j].strftime("%H:%M") for j in np.flatnonzero(expected[i] & ~present[i])]
                         for i, s in enumerate(symbols) if (expected[i] & ~present[i]).any()}})

    built = np.zeros_like(present)
    short_matrices = 0
    for symbol, off, rows in mats:
        if symbol in symbols and 0 <= off < n:
            complete = rows >= len(mx.METRICS)
            built[symbols.index(symbol), off] = complete
            short_matrices += not complete
    lines, sample = ledger_lines("option_matrices", d.day, symbols, minutes, present & closed, built, none,
                                 d.refetch_reason)
    repair = sorted({d.keys[j] for j in np.flatnonzero((present & closed & ~built).any(axis=0))})
    matrices = Measured("option_matrices", "option_matrices", True, lines, sample, repair,
                        {"matrices_missing_metrics": short_matrices})
    return snap, matrices


def measure_day(instance: dg.DagsterInstance, dsn: str, day: date, now: datetime, watch: Sequence[str],
                listed: Mapping[str, str] | Sequence[str]) -> list[Measured]:
    """Every minute-level data set of `day`, as of `now`."""
    d = Day(day, now)
    snap, matrices = options(dsn, d)
    return [watch_list(instance, dsn, d, watch), universe(instance, dsn, d, list(listed)), futures(instance, dsn, d),
            snap, matrices]
