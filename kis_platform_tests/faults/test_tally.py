"""The scenario measure itself: it must see lost, duplicated and altered rows (or every scenario would pass)."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd

from kis_platform.bench.faults.reference import Reference
from kis_platform.bench.faults.tally import compare
from kis_platform.calendar import KST


def _frame(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["symbol", "bar_start", "close", "partition"])


def test_compare_counts_missing_duplicated_wrong_and_partial() -> None:
    t0, t1 = datetime(2026, 11, 20, 10, 0, tzinfo=KST), datetime(2026, 11, 20, 10, 1, tzinfo=KST)
    expected = _frame([("A", t0, 10, "p0"), ("B", t0, 20, "p0"), ("A", t1, 11, "p1"), ("B", t1, 21, "p1")])
    present = expected.drop(columns="partition")
    assert compare(expected, present, ["symbol", "bar_start"], "partition") == {
        "rows_expected": 4, "rows_present": 4, "rows_missing": 0, "rows_duplicated": 0, "partial_partitions": 0}

    lost = present.iloc[1:]  # B's p0 row gone: p0 is partial
    counts = compare(expected, lost, ["symbol", "bar_start"], "partition")
    assert (counts["rows_missing"], counts["partial_partitions"], counts["rows_duplicated"]) == (1, 1, 0)

    doubled = pd.concat([present, present.iloc[:1]])  # a key twice
    assert compare(expected, doubled, ["symbol", "bar_start"], "partition")["rows_duplicated"] == 1

    altered = present.assign(close=[10, 20, 11, 99])  # a value that differs from the reference
    assert compare(expected, altered, ["symbol", "bar_start"], "partition")["rows_duplicated"] == 1

    stranger = pd.concat([present, _frame([("C", t1, 5, "p1")]).drop(columns="partition")])
    assert compare(expected, stranger, ["symbol", "bar_start"], "partition")["rows_duplicated"] == 1


def test_reference_is_the_simulators_market() -> None:
    ref = Reference(20261120)
    bars = ref.minute_bars(("005930",), ["2026-11-20-09:00", "2026-11-20-15:25", "2026-11-20-15:30"])
    # 09:00 trades, 15:20-15:29 is the closing-auction call (no bars), 15:30 is the closing auction
    assert [t.strftime("%H:%M") for t in bars["bar_start"]] == ["09:00", "15:30"]
    o, h, lo, c, v, value, _ = ref.market.ohlcv(ref.market.stock("005930").idx, date(2026, 11, 20))
    day = ref.minute_bars(("005930",), [f"2026-11-20-{h_:02d}:{m:02d}" for h_ in range(9, 16) for m in range(60)])
    assert (day["volume"].sum(), day["turnover_krw"].sum(), day["high"].max(), day["low"].min()) == (v, value, h, lo)
    daily = ref.daily_bars(("005930",), [date(2026, 11, 20)])
    assert daily[~daily["adjusted"]][["open", "close"]].iloc[0].tolist() == [o, c]
