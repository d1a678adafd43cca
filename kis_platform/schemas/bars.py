"""Schemas of the bar tables: daily_bars, minute_bars, futures_minute_bars."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from kis_platform.schemas import rules
from kis_platform.schemas.base import (
    Day,
    Instant,
    Int,
    Provenance,
    StockBars,
    Text,
    tz_field,
)
from kis_platform.schemas.ticks import futures_on_grid

STOCK_SESSIONS = ("krx_regular", "krx_open_auction", "krx_close_auction", "krx_after_hours", "nxt_pre", "nxt_main",
                  "nxt_after")


class DailyBarSchema(StockBars):
    """One day of one stock from one source, raw (`adjusted` false) or adjusted.

    A row with volume 0 and no prices is a day without trades (KRX prints "-"), never zeros. Only trading days
    can have rows. Raw prices sit on the KRX tick grid; adjusted prices need not.
    """

    adjusted: Series[bool] = pa.Field(required=False)
    open: Series[Int] = pa.Field(nullable=True)
    high: Series[Int] = pa.Field(nullable=True)
    low: Series[Int] = pa.Field(nullable=True)
    close: Series[Int] = pa.Field(nullable=True)
    volume: Series[Int] = pa.Field()
    turnover_krw: Series[Int] = pa.Field(nullable=True, required=False)
    market_cap_krw: Series[Int] = pa.Field(nullable=True, required=False)
    listed_shares: Series[Int] = pa.Field(nullable=True, required=False)

    @pa.check("turnover_krw", "market_cap_krw", "listed_shares", name="amount_non_negative")
    def amount_non_negative(cls, s: Series[int]) -> Series[bool]:
        return (s.isna() | (s >= 0)).astype(bool)

    @pa.dataframe_check(name="no_trade_row_shape")
    def no_trade_row_shape(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["open"].notna() | (df["volume"] == 0)).fillna(False).astype(bool)

    @pa.dataframe_check(name="krx_not_adjusted")
    def krx_not_adjusted(cls, df: pd.DataFrame) -> Series[bool]:
        adjusted = df["adjusted"].astype(bool) if "adjusted" in df.columns else False
        return ~((df["source"] == "KRX") & adjusted).fillna(False).astype(bool)

    @pa.dataframe_check(name="trade_date_is_session")
    def trade_date_is_session(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.is_session_day(df["trade_date"])

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.first_of_keys(df, ["symbol", "trade_date", "source", "adjusted"])


class MinuteBarSchema(StockBars):
    """One minute of one stock, labelled by its start (09:00 covers 09:00:00-09:00:59).

    Bars lie on the session's minute grid: open .. close inclusive, the close bar (15:30 on a normal day) being
    the closing auction. bar_end is bar_start + 1 minute; trade_date is bar_start's KST date.
    """

    bar_start: Series[Instant] = tz_field()
    bar_end: Series[Instant] = tz_field()
    open: Series[Int] = pa.Field()
    # The bounds of sql/0103 (the analysts' read packs two prices per bigint): far above any real bar.
    high: Series[Int] = pa.Field(le=2**31 - 1)
    low: Series[Int] = pa.Field()
    close: Series[Int] = pa.Field()
    volume: Series[Int] = pa.Field(lt=2**60)
    turnover_krw: Series[Int] = pa.Field(nullable=True, required=False)
    session: Series[Text] = pa.Field(required=False, isin=list(STOCK_SESSIONS))
    is_final: Series[bool] = pa.Field(required=False)

    @pa.dataframe_check(name="bar_in_session")
    def bar_in_session(cls, df: pd.DataFrame) -> Series[bool]:
        session = df["session"] if "session" in df.columns else None
        return rules.stock_bar_in_session(df["bar_start"], df["trade_date"], session) & rules.on_minute(df["bar_start"])

    @pa.dataframe_check(name="bar_labels_consistent")
    def bar_labels_consistent(cls, df: pd.DataFrame) -> Series[bool]:
        one_minute = (df["bar_end"] - df["bar_start"]) == pd.Timedelta(minutes=1)
        return (one_minute & (rules.kst_date(df["bar_start"]) == df["trade_date"])).astype(bool)

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.first_of_keys(df, ["symbol", "bar_start"])


class FuturesMinuteBarSchema(Provenance):
    """One minute of one index-futures contract, in index points, on the product's tick grid."""

    symbol: Series[Text] = pa.Field(str_matches=r"^[0-9A-Z]{5,12}$")
    bar_start: Series[Instant] = tz_field()
    bar_end: Series[Instant] = tz_field()
    underlying: Series[Text] = pa.Field(isin=["KOSPI200", "MINI_KOSPI200", "KOSDAQ150"])
    expiry: Series[Text] = pa.Field(str_matches=r"^[0-9]{6}$")
    open: Series[float] = pa.Field()
    high: Series[float] = pa.Field()
    low: Series[float] = pa.Field()
    close: Series[float] = pa.Field()
    volume: Series[Int] = pa.Field()
    turnover_krw: Series[Int] = pa.Field(nullable=True, required=False)
    open_interest: Series[Int] = pa.Field(nullable=True, required=False)
    session: Series[Text] = pa.Field(required=False, isin=["drv_day", "drv_night"])
    trade_date: Series[Day] = pa.Field()
    is_final: Series[bool] = pa.Field(required=False)

    @pa.check("open", "high", "low", "close", name="price_positive")
    def price_positive(cls, s: Series[float]) -> Series[bool]:
        return s > 0

    @pa.check("volume", "turnover_krw", "open_interest", name="volume_non_negative")
    def volume_non_negative(cls, s: Series[int]) -> Series[bool]:
        return (s.isna() | (s >= 0)).astype(bool)

    @pa.dataframe_check(name="high_ge_low")
    def high_ge_low(cls, df: pd.DataFrame) -> Series[bool]:
        return df["high"] >= df["low"]

    @pa.dataframe_check(name="ohlc_within_range")
    def ohlc_within_range(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.ohlc_in_range(df)

    @pa.dataframe_check(name="price_on_tick_grid")
    def price_on_tick_grid(cls, df: pd.DataFrame) -> Series[bool]:
        ok = pd.Series(True, index=df.index)
        for col in ("open", "high", "low", "close"):
            ok &= futures_on_grid(df[col], df["underlying"])
        return ok

    @pa.dataframe_check(name="bar_in_session")
    def bar_in_session(cls, df: pd.DataFrame) -> Series[bool]:
        session = df["session"] if "session" in df.columns else None
        return rules.derivatives_in_session(df["bar_start"], df["trade_date"], session) & rules.on_minute(
            df["bar_start"])

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.first_of_keys(df, ["symbol", "bar_start"])
