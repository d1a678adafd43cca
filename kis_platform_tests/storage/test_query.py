"""Analyst helpers through the read-only role, and resampled bars against pandas."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd
import psycopg
import pytest

from kis_platform import query
from kis_platform.storage.admin import role_dsn
from kis_platform.storage.pool import close_pools
from kis_platform.storage.resample import refresh_resampled
from kis_platform.storage.roles import ANALYST_ROLE, ensure_roles
from kis_platform.storage.writer import MarketWriter
from kis_platform_tests.storage.factories import KST, day_window, minute_bars

D1, D2 = dt.date(2025, 3, 4), dt.date(2025, 3, 5)


@pytest.fixture
def analyst(market_db: str) -> Iterator[str]:
    with psycopg.connect(market_db, autocommit=True) as conn:
        ensure_roles(conn, conn.execute("SELECT current_database()").fetchone()[0], "a-pw", "w-pw")
    yield role_dsn(market_db, ANALYST_ROLE, "a-pw")
    for conn in query._connections.values():
        conn.close()
    query._connections.clear()
    close_pools()


def _gappy_minutes() -> pd.DataFrame:
    """Two days, two symbols, with missing minutes and a late bar, like real trading."""
    frames = [minute_bars(D1, ["005930", "0037T0"], minutes=47, seed=1),
              minute_bars(D2, ["005930", "0037T0"], minutes=61, seed=2, start="10:00")]
    df = pd.concat(frames, ignore_index=True)
    df = df.drop(index=df.index[3::11]).reset_index(drop=True)
    df.loc[5, "turnover_krw"] = None
    return df


def _pandas_resample(df: pd.DataFrame, rule: str) -> pd.DataFrame:
    out = []
    for symbol, g in df.sort_values("bar_start").groupby("symbol"):
        r = g.set_index("bar_start").resample(rule, label="left", closed="left")
        agg = pd.DataFrame({"open": r["open"].first(), "high": r["high"].max(), "low": r["low"].min(),
                            "close": r["close"].last(), "volume": r["volume"].sum(),
                            "bar_count": r["close"].count()})
        agg = agg[agg["bar_count"] > 0].reset_index()
        agg.insert(0, "symbol", symbol)
        out.append(agg)
    return pd.concat(out, ignore_index=True).sort_values(["symbol", "bar_start"]).reset_index(drop=True)


@pytest.mark.parametrize(("interval", "rule"), [("5m", "5min"), ("3m", "3min"), ("60m", "60min")])
def test_resampled_bars_equal_pandas_resample(market_db: str, analyst: str, interval: str, rule: str) -> None:
    df = _gappy_minutes()
    writer = MarketWriter(market_db)
    for day in (D1, D2):
        part = df[df["trade_date"] == day]
        writer.replace_window("minute_bars", part, "bar_start", *day_window(day))
    got = query.bars(["005930", "0037T0"], D1, D2, interval=interval, dsn=analyst)
    expected = _pandas_resample(df, rule)
    assert len(got) == len(expected) > 0
    assert got["symbol"].tolist() == expected["symbol"].tolist()
    assert (got["bar_start"].to_numpy() == expected["bar_start"].to_numpy()).all()
    for column in ("open", "high", "low", "close", "volume"):
        assert got[column].tolist() == expected[column].tolist(), column
    assert (got["bar_end"] - got["bar_start"] == pd.Timedelta(rule)).all()
    with psycopg.connect(analyst) as conn:
        counts = conn.execute(f"SELECT bar_count FROM minute_bars_{interval} ORDER BY symbol, bar_start").fetchall()
    assert [c[0] for c in counts] == expected["bar_count"].tolist()


def test_upserted_slice_updates_resampled_bars_and_full_refresh_agrees(market_db: str, analyst: str) -> None:
    writer = MarketWriter(market_db)
    df = minute_bars(D1, ["005930"], minutes=10)
    writer.upsert("minute_bars", df.iloc[:7], ["symbol", "bar_start"])
    writer.upsert("minute_bars", df.iloc[7:], ["symbol", "bar_start"])
    first = query.bars("005930", D1, D1, interval="5m", dsn=analyst)
    assert first["volume"].tolist() == [df["volume"][:5].sum(), df["volume"][5:].sum()]
    with psycopg.connect(market_db) as conn:
        refresh_resampled(conn)  # recompute everything: the incremental result must not change
    query._connections.clear()
    pd.testing.assert_frame_equal(query.bars("005930", D1, D1, interval="5m", dsn=analyst), first)


def test_minute_bars_round_trip(market_db: str, analyst: str) -> None:
    df = _gappy_minutes()
    MarketWriter(market_db).replace_window("minute_bars", df, "bar_start",
                                           pd.Timestamp(str(D1), tz=KST), pd.Timestamp(str(D2 + dt.timedelta(1)), tz=KST))
    got = query.bars(["0037T0", "005930"], D1, D2, dsn=analyst)
    expected = df.sort_values(["symbol", "bar_start"]).reset_index(drop=True)
    assert len(got) == len(df)
    assert got["symbol"].tolist() == expected["symbol"].tolist()
    assert got["bar_start"].tolist() == expected["bar_start"].tolist()
    assert str(got["bar_start"].dt.tz) == KST
    for column in ("open", "high", "low", "close", "volume"):
        assert got[column].tolist() == expected[column].tolist()
    assert np.isnan(got["turnover_krw"]).sum() == 1
    assert set(got["source"]) == {"SIM_KIS"}
    # Codes of other lengths are sent as positions instead of bytes; one code is not sent at all: same frame.
    pd.testing.assert_frame_equal(query.bars(["0037T0", "005930", "NOPE"], D1, D2, dsn=analyst), got)
    one = query.bars("005930", D1, D2, dsn=analyst)
    pd.testing.assert_frame_equal(one, got[got["symbol"] == "005930"].reset_index(drop=True))
    assert query.bars([], D1, D2, dsn=analyst).columns.tolist() == got.columns.tolist()
    # A window in the middle of a day, end exclusive.
    part = query.bars("005930", dt.datetime(2025, 3, 4, 9, 10), dt.datetime(2025, 3, 4, 9, 20), dsn=analyst)
    assert part["bar_start"].min() >= pd.Timestamp("2025-03-04 09:10", tz=KST)
    assert part["bar_start"].max() < pd.Timestamp("2025-03-04 09:20", tz=KST)
    with pytest.raises(ValueError, match="unadjusted"):
        query.bars("005930", D1, D2, adjusted=True, dsn=analyst)


def test_minute_bar_constraints_let_the_read_derive_labels_and_pack_values(market_db: str, analyst: str) -> None:
    """The read computes bar_end and trade_date from bar_start and unpacks prices, volume, is_final and source
    from three bigints, which the table's constraints make safe: same frame as reading every column as stored,
    including at the edges of the packed fields."""
    df = _gappy_minutes()
    MarketWriter(market_db).replace_window("minute_bars", df, "bar_start",
                                           pd.Timestamp(str(D1), tz=KST), pd.Timestamp(str(D2 + dt.timedelta(1)), tz=KST))
    insert = ("INSERT INTO minute_bars (symbol, bar_start, bar_end, open, high, low, close, volume, trade_date, "
              "is_final, source, fetched_at) VALUES ('005930', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, now())")
    early = pd.Timestamp("2025-03-05 08:00", tz=KST)  # 23:00 UTC the day before: the KST date is not the UTC one
    top, most = 2**31 - 1, 2**60 - 1
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute(insert, (early, early + pd.Timedelta(minutes=1), top - 1, top, 1, top - 2, most, D2, False,
                              "SIM_KRX"))
        later = early + pd.Timedelta(minutes=5)
        # Each row breaks one rule: (bar_end, open, high, low, close, volume, trade_date).
        refused = {
            "minute_bars_bar_end_is_next_minute": (later + pd.Timedelta(minutes=2), 10, 10, 10, 10, 1, D2),
            "minute_bars_trade_date_is_kst_date": (later + pd.Timedelta(minutes=1), 10, 10, 10, 10, 1, D1),
            "minute_bars_prices_fit_int4": (later + pd.Timedelta(minutes=1), 10, top + 1, 10, 10, 1, D2),
            "minute_bars_volume_below_2_60": (later + pd.Timedelta(minutes=1), 10, 10, 10, 10, most + 1, D2),
        }
        for name, values in refused.items():
            with pytest.raises(psycopg.errors.CheckViolation, match=name):
                conn.execute(insert, (later, *values, True, "SIM_KIS"))

    got = query.bars(["0037T0", "005930"], D1, D2, dsn=analyst)
    assert len(got) == len(df) + 1
    conn = query._conn(analyst)
    assert query._minute_bar_guarantees(conn) == query._LABEL_CONSTRAINTS | query._PACKING_CONSTRAINTS
    stored = query._minute_bars(conn, "minute_bars", ["0037T0", "005930"], pd.Timestamp(str(D1), tz=KST),
                                pd.Timestamp(str(D2 + dt.timedelta(1)), tz=KST))
    pd.testing.assert_frame_equal(got, stored)
    edge = got[got["bar_start"] == early].iloc[0]
    assert (edge["open"], edge["high"], edge["low"], edge["close"], edge["volume"]) == (top - 1, top, 1, top - 2, most)
    assert (edge["trade_date"], edge["is_final"], edge["source"]) == (pd.Timestamp(D2), False, "SIM_KRX")
    assert set(got.loc[got["bar_start"] != early, "source"]) == {"SIM_KIS"} and got["is_final"].sum() == len(df)


def test_daily_bars_raw_vs_adjusted_and_source_preference(market_db: str, analyst: str) -> None:
    def row(source: str, adjusted: bool, close: int) -> dict:
        return {"symbol": "005930", "trade_date": D1, "source": source, "adjusted": adjusted, "open": close,
                "high": close, "low": close, "close": close, "volume": 10, "fetched_at": pd.Timestamp.now(tz=KST)}
    df = pd.DataFrame([row("KIS", False, 100), row("KRX", False, 101), row("KIS", True, 50)])
    MarketWriter(market_db).upsert("daily_bars", df, ["symbol", "trade_date", "source", "adjusted"])
    raw = query.bars("005930", D1, D1, interval="1d", dsn=analyst)
    adj = query.bars("005930", D1, D1, interval="1d", adjusted=True, dsn=analyst)
    assert (raw["close"].tolist(), raw["source"].tolist()) == ([101], ["KRX"])
    assert (adj["close"].tolist(), adj["source"].tolist()) == ([50], ["KIS"])


def test_option_matrix_investor_flows_and_listed_on(market_db: str, analyst: str) -> None:
    ts = pd.Timestamp("2025-03-04 10:00", tz=KST)
    matrix = pd.DataFrame([{"timestamp": ts, "underlying_symbol": "202503_KOSPI200", "metric_type": "iv",
                            "atm_strike": 340.0, "c_atm": 18.5, "p_otm10": 25.25, "source": "SIM_KIS", "fetched_at": ts}])
    writer = MarketWriter(market_db)
    writer.upsert("option_matrices", matrix, ["timestamp", "underlying_symbol", "metric_type"])
    got = query.option_matrix("202503_KOSPI200", "iv", D1, D1, dsn=analyst)
    assert got.loc[ts, "c_atm"] == 18.5 and got.loc[ts, "p_otm10"] == 25.25 and np.isnan(got.loc[ts, "c_itm1"])
    assert list(got.columns[1:43]) == query.MATRIX_COLUMNS and got.columns[1] == "c_itm10"

    flows = pd.DataFrame([
        {"symbol": "005930", "trade_date": D1, "source": "SIM_KIS", "is_provisional": True,
         "pension_fund_net_qty": 5, "fetched_at": ts},
        {"symbol": "005930", "trade_date": D1, "source": "SIM_KIS", "is_provisional": False,
         "pension_fund_net_qty": 7, "fetched_at": ts},
        {"symbol": "005930", "trade_date": D2, "source": "SIM_KIS", "is_provisional": True,
         "pension_fund_net_qty": 1, "fetched_at": ts},
    ])
    writer.upsert("investor_flows", flows, ["symbol", "trade_date", "source", "is_provisional"])
    final = query.investor_flows("005930", D1, D2, dsn=analyst)
    assert final["pension_fund_net_qty"].tolist() == [7]
    latest = query.investor_flows("005930", D1, D2, include_provisional=True, dsn=analyst)
    assert latest["pension_fund_net_qty"].tolist() == [7, 1]
    assert latest["is_provisional"].tolist() == [False, True]

    with psycopg.connect(market_db) as conn:
        conn.execute("INSERT INTO instruments (isin, symbol, name, market, listing_date, source, fetched_at) VALUES "
                     "('KR7005930003', '005930', '삼성전자', 'KOSPI', '1975-06-11', 'SIM_KIS', now())")
        conn.execute("SELECT sync_instrument_history('2025-03-04')")
    assert query.listed_on("2025-03-04", dsn=analyst)["symbol"].tolist() == ["005930"]
    assert query.listed_on("1975-06-10", dsn=analyst).empty
