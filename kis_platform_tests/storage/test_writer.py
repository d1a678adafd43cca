"""The writer against a real PostgreSQL: idempotent rewrites, upserts, concurrency, crashes, type errors."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import psycopg
import pytest

from kis_platform.storage import copy_in
from kis_platform.storage import writer as writer_module
from kis_platform.storage.pool import close_pools
from kis_platform.storage.writer import MarketWriter, WriteError
from kis_platform_tests.storage.factories import KST, day_window, minute_bars

D1, D2 = dt.date(2025, 3, 4), dt.date(2025, 3, 5)
SYMBOLS = ["005930", "000660", "0037T0"]


@pytest.fixture
def writer(market_db: str) -> Iterator[MarketWriter]:
    yield MarketWriter(market_db)
    close_pools()  # before the fixture drops the database


def _rows(dsn: str, query: str, *params: object) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute(query, params).fetchall()


def _bars(dsn: str, day: dt.date | None = None) -> pd.DataFrame:
    where = "WHERE trade_date = %s" if day else ""
    rows = _rows(dsn, f"SELECT symbol, bar_start, open, high, low, close, volume FROM minute_bars {where} "
                      "ORDER BY symbol, bar_start", *([day] if day else []))
    return pd.DataFrame(rows, columns=["symbol", "bar_start", "open", "high", "low", "close", "volume"])


def test_rewriting_a_partition_twice_leaves_the_same_rows(writer: MarketWriter, market_db: str) -> None:
    df = minute_bars(D1, SYMBOLS)
    start, end = day_window(D1)
    assert writer.replace_window("minute_bars", df, "bar_start", start, end) == len(df)
    first = _bars(market_db)
    assert writer.replace_window("minute_bars", df, "bar_start", start, end) == len(df)
    second = _bars(market_db)
    assert len(first) == len(df) == 90
    pd.testing.assert_frame_equal(first, second)
    assert (second.groupby("symbol").size() == 30).all()

    # A rerun with fewer rows (a bar corrected away upstream) removes the vanished row.
    smaller = df[df["bar_start"] != df["bar_start"].max()]
    writer.replace_window("minute_bars", smaller, "bar_start", start, end)
    assert len(_bars(market_db)) == len(smaller)


def test_replace_window_leaves_other_partitions_and_filtered_rows(writer: MarketWriter, market_db: str) -> None:
    writer.replace_window("minute_bars", minute_bars(D1, SYMBOLS), "bar_start", *day_window(D1))
    writer.replace_window("minute_bars", minute_bars(D2, SYMBOLS), "bar_start", *day_window(D2))
    # Rewrite one symbol of D2 only: the other symbols and D1 stay.
    one = minute_bars(D2, ["005930"], minutes=10, seed=7)
    writer.replace_window("minute_bars", one, "bar_start", *day_window(D2), extra_filter={"symbol": ["005930"]})
    counts = dict(_rows(market_db, "SELECT symbol || ' ' || trade_date, count(*) FROM minute_bars GROUP BY 1"))
    assert counts == {f"{s} {d}": (10 if (s, d) == ("005930", D2) else 30) for s in SYMBOLS for d in (D1, D2)}


def test_daily_bars_source_filter_keeps_other_sources(writer: MarketWriter, market_db: str) -> None:
    def daily(source: str, close: int) -> pd.DataFrame:
        return pd.DataFrame({
            "symbol": ["005930"], "trade_date": [D1], "source": [source], "adjusted": [False],
            "open": [close], "high": [close], "low": [close], "close": [close], "volume": [100],
            "fetched_at": [pd.Timestamp("2025-03-05 08:00", tz=KST)],
        })
    writer.replace_window("daily_bars", daily("KIS", 100), "trade_date", D1, D2, extra_filter={"source": "KIS"})
    writer.replace_window("daily_bars", daily("KRX", 101), "trade_date", D1, D2, extra_filter={"source": "KRX"})
    writer.replace_window("daily_bars", daily("KRX", 102), "trade_date", D1, D2, extra_filter={"source": "KRX"})
    assert _rows(market_db, "SELECT source, close FROM daily_bars ORDER BY source") == [("KIS", 100), ("KRX", 102)]


def test_upsert_updates_existing_rows_and_inserts_new_ones(writer: MarketWriter, market_db: str) -> None:
    df = minute_bars(D1, ["005930"], minutes=5)
    writer.upsert("minute_bars", df, ["symbol", "bar_start"])
    # The last bar was still forming; the next slice finalises it with new values and adds the next minute.
    later = minute_bars(D1, ["005930"], minutes=6, seed=1).iloc[4:].copy()
    later["close"] = later["low"]  # a value we can recognise
    assert writer.upsert("minute_bars", later, ["symbol", "bar_start"]) == 2
    got = _bars(market_db)
    assert len(got) == 6
    assert got["close"].tolist()[:4] == df["close"].tolist()[:4]
    assert got["close"].tolist()[4:] == later["close"].tolist()


def test_upsert_requires_a_real_key_and_unique_rows(writer: MarketWriter) -> None:
    df = minute_bars(D1, ["005930"], minutes=3)
    with pytest.raises(WriteError, match=r"not a primary key or unique constraint"):
        writer.upsert("minute_bars", df, ["symbol"])
    with pytest.raises(WriteError, match=r"rows share a key"):
        writer.upsert("minute_bars", pd.concat([df, df]), ["symbol", "bar_start"])


def test_two_writers_on_different_partitions_both_land(market_db: str) -> None:
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(day: dt.date, seed: int) -> None:
        try:
            own = MarketWriter(market_db)  # separate writer objects, as two runs would have
            df = minute_bars(day, SYMBOLS, minutes=200, seed=seed)
            barrier.wait()
            own.replace_window("minute_bars", df, "bar_start", *day_window(day))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(d, i)) for i, d in enumerate((D1, D2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    close_pools()
    assert not errors, errors
    assert dict(_rows(market_db, "SELECT trade_date, count(*) FROM minute_bars GROUP BY 1")) == {D1: 600, D2: 600}


@pytest.mark.parametrize("path", ["merge", "delete_copy"])
def test_connection_killed_during_copy_keeps_previous_partition(
    writer: MarketWriter, market_db: str, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    old = minute_bars(D1, SYMBOLS)
    writer.replace_window("minute_bars", old, "bar_start", *day_window(D1))
    before = _bars(market_db)
    if path == "delete_copy":  # as if the sample had found most stored rows changed: DELETE, then COPY
        monkeypatch.setattr(writer_module, "REWRITE_MIN_ROWS", 0)
        monkeypatch.setattr(writer_module.merge, "stale_share", lambda *args: 1.0)

    # Stream the next rewrite in small blocks and kill the backend once the first block is on the wire.
    monkeypatch.setattr(copy_in, "CHUNK_ROWS", 64)
    streaming, killed = threading.Event(), threading.Event()
    original_write = psycopg.Copy.write

    def slow_write(self: psycopg.Copy, buffer: object) -> None:
        original_write(self, buffer)
        streaming.set()
        killed.wait(10)

    monkeypatch.setattr(psycopg.Copy, "write", slow_write)

    def killer() -> None:
        streaming.wait(30)
        with psycopg.connect(market_db, autocommit=True) as conn:
            victims = conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'COPY%%'"
            ).fetchall()
        assert victims == [(True,)]
        killed.set()

    thread = threading.Thread(target=killer)
    thread.start()
    new = minute_bars(D1, SYMBOLS, minutes=300, seed=9)
    with pytest.raises(psycopg.Error):
        writer.replace_window("minute_bars", new, "bar_start", *day_window(D1))
    thread.join(30)
    assert killed.is_set()
    pd.testing.assert_frame_equal(_bars(market_db), before)
    # The pool recovers: the next write works.
    monkeypatch.undo()
    assert writer.replace_window("minute_bars", new, "bar_start", *day_window(D1)) == len(new)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda df: df.assign(symbol=5930), r"minute_bars\.symbol \(text\): got integer values .*leading zeros"),
        (lambda df: df.assign(bar_start=df["bar_start"].dt.tz_localize(None)),
         r"minute_bars\.bar_start \(timestamp with time zone\): got timezone-naive datetimes"),
        (lambda df: df.assign(volume=df["volume"] + 0.5), r"minute_bars\.volume \(bigint\): got non-integer numbers"),
        (lambda df: df.assign(close=None), r"minute_bars\.close \(bigint\): \d+ NULL/NaN values in a NOT NULL column"),
        (lambda df: df.assign(price=1), r"minute_bars: DataFrame columns \['price'\] do not exist"),
        (lambda df: df.drop(columns=["source"]), r"required columns \['source'\] are missing"),
        (lambda df: df.assign(trade_date=df["bar_start"]), r"minute_bars\.trade_date \(date\): got timezone-aware"),
        (lambda df: df.assign(is_final="yes"), r"minute_bars\.is_final \(boolean\): got string values"),
    ],
)
def test_type_errors_name_the_column(writer: MarketWriter, market_db: str, change, message: str) -> None:
    df = change(minute_bars(D1, ["005930"], minutes=3))
    with pytest.raises(WriteError, match=message):
        writer.replace_window("minute_bars", df, "bar_start", *day_window(D1))
    with pytest.raises(WriteError, match=message):
        writer.upsert("minute_bars", df, ["symbol", "bar_start"])
    assert _bars(market_db).empty


def test_rows_outside_the_window_or_filter_are_refused(writer: MarketWriter) -> None:
    df = minute_bars(D2, ["005930"], minutes=3)
    with pytest.raises(WriteError, match=r"3 rows have bar_start outside the window"):
        writer.replace_window("minute_bars", df, "bar_start", *day_window(D1))
    with pytest.raises(WriteError, match=r"rows have symbol outside the filter"):
        writer.replace_window("minute_bars", df, "bar_start", *day_window(D2), extra_filter={"symbol": "000660"})
    with pytest.raises(WriteError, match=r"timezone-aware datetime"):
        writer.replace_window("minute_bars", df, "bar_start", dt.datetime(2025, 3, 5), dt.datetime(2025, 3, 6))


def test_check_constraints_reject_impossible_bars(writer: MarketWriter) -> None:
    df = minute_bars(D1, ["005930"], minutes=3)
    df.loc[0, "high"] = df.loc[0, "low"] - 1
    with pytest.raises(psycopg.errors.CheckViolation):
        writer.replace_window("minute_bars", df, "bar_start", *day_window(D1))


def test_text_copy_path_for_numeric_columns(writer: MarketWriter, market_db: str) -> None:
    start = pd.Timestamp("2025-03-04 09:00", tz=KST)
    df = pd.DataFrame({
        "symbol": ["A01606"] * 2, "bar_start": [start, start + pd.Timedelta(minutes=1)],
        "bar_end": [start + pd.Timedelta(minutes=1), start + pd.Timedelta(minutes=2)],
        "underlying": "KOSPI200", "expiry": "202606",
        "open": [350.05, 350.10], "high": [350.25, 350.30], "low": [349.95, 350.0], "close": [350.1, 350.2],
        "volume": [120, 80], "open_interest": [None, 1000], "session": "drv_day",
        "trade_date": D1, "source": "SIM_KIS", "fetched_at": start,
    })
    assert writer.replace_window("futures_minute_bars", df, "bar_start", *day_window(D1)) == 2
    rows = _rows(market_db, "SELECT close::text, open_interest FROM futures_minute_bars ORDER BY bar_start")
    assert rows == [("350.10", None), ("350.20", 1000)]


@dataclass
class _Raw:
    source: str
    tr_id: str | None
    path: str
    params: dict
    status: int
    body: str
    fetched_at: dt.datetime


def test_write_raw_responses(writer: MarketWriter, market_db: str) -> None:
    now = dt.datetime(2025, 3, 4, 9, 1, tzinfo=dt.UTC)
    records = [
        _Raw("SIM_KIS", "FHKST03010200", "/uapi/domestic-stock/v1/quotations/inquire-time-itemchartprice",
             {"FID_INPUT_ISCD": "005930"}, 200, '{"rt_cd": "0", "output2": []}', now),
        _Raw("SIM_KIS", None, "/svc/apis/sto/stk_bydd_trd", {"basDd": "20250304"}, 401, "Unauthorized 한글", now),
    ]
    assert writer.write_raw_responses(records) == 2
    rows = _rows(market_db, "SELECT tr_id, params->>'FID_INPUT_ISCD', status, body, body_bytes FROM raw_responses "
                            "ORDER BY id")
    assert rows[0][:3] == ("FHKST03010200", "005930", 200)
    assert rows[1][0] is None and rows[1][3] == "Unauthorized 한글" and rows[1][4] == len("Unauthorized 한글".encode())


def test_replacing_a_partition_with_no_rows_empties_it(writer: MarketWriter, market_db: str) -> None:
    writer.replace_window("minute_bars", minute_bars(D1, SYMBOLS), "bar_start", *day_window(D1))
    writer.replace_window("minute_bars", minute_bars(D2, SYMBOLS), "bar_start", *day_window(D2))
    empty = minute_bars(D1, SYMBOLS).iloc[:0]
    assert writer.replace_window("minute_bars", empty, "bar_start", *day_window(D1)) == 0
    assert _rows(market_db, "SELECT DISTINCT trade_date FROM minute_bars") == [(D2,)]
    assert _rows(market_db, "SELECT DISTINCT trade_date FROM minute_bars_5m") == [(D2,)]


def test_rewriting_identical_rows_leaves_them_untouched(writer: MarketWriter, market_db: str) -> None:
    df = minute_bars(D1, SYMBOLS, minutes=5)
    writer.replace_window("minute_bars", df, "bar_start", *day_window(D1))
    versions = _rows(market_db, "SELECT xmin::text FROM minute_bars ORDER BY symbol, bar_start")
    assert writer.replace_window("minute_bars", df, "bar_start", *day_window(D1)) == len(df)
    assert writer.upsert("minute_bars", df, ["symbol", "bar_start"]) == len(df)
    assert _rows(market_db, "SELECT xmin::text FROM minute_bars ORDER BY symbol, bar_start") == versions
    changed = df.assign(volume=df["volume"] + 1)
    writer.upsert("minute_bars", changed, ["symbol", "bar_start"])
    assert _rows(market_db, "SELECT sum(volume)::bigint FROM minute_bars") == [(int(changed["volume"].sum()),)]


@pytest.mark.parametrize("sampled", [False, True])
def test_refetched_rows_that_differ_only_in_ignored_columns_stay(
    writer: MarketWriter, market_db: str, monkeypatch: pytest.MonkeyPatch, sampled: bool
) -> None:
    """A refetch brings the same bars with a new fetched_at: those rows are not rewritten and keep their first
    fetched_at; a bar whose values changed is rewritten with the new fetched_at. Both upsert paths (through the
    list of differences, and straight from the stage when the sample finds most rows changed)."""
    calls = []
    original = writer_module.merge.apply_direct
    monkeypatch.setattr(writer_module.merge, "apply_direct", lambda *a: calls.append(1) or original(*a))
    if sampled:
        monkeypatch.setattr(writer_module, "REWRITE_MIN_ROWS", 0)
    first = minute_bars(D1, SYMBOLS, minutes=30, seed=1)
    writer.upsert("minute_bars", first, ["symbol", "bar_start"], ignored_columns=["fetched_at"])
    before = _rows(market_db, "SELECT symbol, bar_start, xmin::text, fetched_at FROM minute_bars ORDER BY 1, 2")
    again = first.assign(fetched_at=first["fetched_at"] + pd.Timedelta(minutes=1))
    revised = again.index[::7] if not sampled else again.index[again.index % 10 != 0]
    again.loc[revised, "volume"] += 1
    writer.upsert("minute_bars", again, ["symbol", "bar_start"], ignored_columns=["fetched_at"])
    after = _rows(market_db, "SELECT symbol, bar_start, xmin::text, fetched_at FROM minute_bars ORDER BY 1, 2")
    assert len(calls) == (2 if sampled else 0)  # sampled: the first write and the mostly-changed second one
    revised_set = set(revised)
    was_revised = [i in revised_set for i in again.sort_values(["symbol", "bar_start"]).index]
    for (_, _, xmin_0, fetched_0), (_, _, xmin_1, fetched_1), changed in zip(before, after, was_revised, strict=True):
        assert (xmin_1 != xmin_0) == changed
        assert (fetched_1 != fetched_0) == changed
    assert _rows(market_db, "SELECT sum(volume)::bigint FROM minute_bars")[0][0] == int(again["volume"].sum())
    assert _rows(market_db, "SELECT sum(volume)::bigint FROM minute_bars_5m")[0][0] == int(again["volume"].sum())


@pytest.mark.parametrize(("changed_every", "merged"), [(0, True), (20, True), (1, False)])
def test_sampled_rewrite_and_merge_leave_the_same_rows(
    writer: MarketWriter, market_db: str, monkeypatch: pytest.MonkeyPatch, changed_every: int, merged: bool
) -> None:
    """Whichever way the sample sends a write (merge, or DELETE + COPY), the window ends up holding df."""
    monkeypatch.setattr(writer_module, "REWRITE_MIN_ROWS", 0)  # sample even this small write
    diffs = []
    original_diff = writer_module.merge.diff
    monkeypatch.setattr(writer_module.merge, "diff", lambda *a, **k: diffs.append(original_diff(*a, **k)) or diffs[-1])
    first = minute_bars(D1, SYMBOLS, minutes=60, seed=1)
    writer.replace_window("minute_bars", first, "bar_start", *day_window(D1))
    again = first.iloc[5:].copy()  # five bars vanished upstream
    if changed_every:
        again.loc[again.index[::changed_every], "volume"] += 1
    writer.replace_window("minute_bars", again, "bar_start", *day_window(D1))
    assert bool(diffs) == merged  # the first write found the window empty: DELETE + COPY
    if changed_every == 20:
        assert (diffs[-1].changed, diffs[-1].vanished, diffs[-1].new) == (len(again[::20]), 5, 0)
    got = _bars(market_db)
    expected = again[got.columns].sort_values(["symbol", "bar_start"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    # The resampled bars follow either way.
    volume_5m = _rows(market_db, "SELECT sum(volume)::bigint FROM minute_bars_5m")[0][0]
    assert volume_5m == int(again["volume"].sum())


@pytest.mark.parametrize(("changed_every", "direct"), [(0, False), (20, False), (1, True)])
def test_sampled_upsert_paths_store_the_same_rows(
    writer: MarketWriter, market_db: str, monkeypatch: pytest.MonkeyPatch, changed_every: int, direct: bool
) -> None:
    """Upserts changing most rows update straight from the stage; others list the differences first."""
    monkeypatch.setattr(writer_module, "REWRITE_MIN_ROWS", 0)
    calls = []
    original = writer_module.merge.apply_direct
    monkeypatch.setattr(writer_module.merge, "apply_direct", lambda *a: calls.append(1) or original(*a))
    first = minute_bars(D1, SYMBOLS, minutes=60, seed=1)
    writer.upsert("minute_bars", first.iloc[:175], ["symbol", "bar_start"])  # all new: straight from the stage
    assert calls == [1]
    again = first.copy()  # the last 5 rows are new
    if changed_every:
        again.loc[again.index[:175:changed_every], "volume"] += 1
    writer.upsert("minute_bars", again, ["symbol", "bar_start"])
    assert len(calls) == 1 + direct
    got = _bars(market_db)
    expected = again[got.columns].sort_values(["symbol", "bar_start"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False)
    assert _rows(market_db, "SELECT sum(volume)::bigint FROM minute_bars_5m")[0][0] == int(again["volume"].sum())
