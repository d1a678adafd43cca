"""What every table schema shares: strict columns, coercion to the table's types, provenance columns.

Column types mirror the SQL: bigint → Int64, numeric → float64, text → string, date → datetime.date,
timestamptz → datetime64[ns, Asia/Seoul], boolean → bool. A column the table can fill itself (NULL or DEFAULT)
is `required=False`; every other column must be in the frame, and no column outside the table may be.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.engines import pandas_engine
from pandera.typing import Series

from kis_platform.schemas import rules

SOURCES = ("KIS", "KRX", "SIM_KIS", "SIM_KRX")  # SIM_* = the simulator imitating KIS / KRX
TZ = {"unit": "ns", "tz": "Asia/Seoul"}

Text = pd.StringDtype
Int = pd.Int64Dtype
Day = pandas_engine.Date
Instant = pd.DatetimeTZDtype


def tz_field(**kwargs: object) -> object:
    """A timestamptz column (aware, shown in Asia/Seoul)."""
    return pa.Field(dtype_kwargs=TZ, **kwargs)


class TableSchema(pa.DataFrameModel):
    """Base of every table schema: strict and coercing."""

    class Config:
        strict = True
        coerce = True


class Provenance(TableSchema):
    """`source` (KIS, KRX, or SIM_KIS / SIM_KRX from the simulator — never mistaken for real data) and
    `fetched_at`."""

    source: Series[Text] = pa.Field()
    fetched_at: Series[Instant] = tz_field()

    @pa.check("source", name="source_known")
    def source_known(cls, s: Series[str]) -> Series[bool]:
        return s.isin(SOURCES)


class StockBars(Provenance):
    """OHLCV rules shared by daily and minute stock bars (KRW integer prices)."""

    symbol: Series[Text] = pa.Field()
    trade_date: Series[Day] = pa.Field()

    @pa.check("symbol", name="symbol_format")
    def symbol_format(cls, s: Series[str]) -> Series[bool]:
        return s.str.fullmatch(rules.SYMBOL_RE).fillna(False).astype(bool)

    @pa.check("open", "high", "low", "close", name="price_positive")
    def price_positive(cls, s: Series[int]) -> Series[bool]:
        return (s.isna() | (s > 0)).astype(bool)

    @pa.check("volume", name="volume_non_negative")
    def volume_non_negative(cls, s: Series[int]) -> Series[bool]:
        return (s.isna() | (s >= 0)).astype(bool)

    @pa.check("turnover_krw", name="amount_non_negative")
    def amount_non_negative(cls, s: Series[int]) -> Series[bool]:
        return (s.isna() | (s >= 0)).astype(bool)

    @pa.dataframe_check(name="high_ge_low")
    def high_ge_low(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["high"] >= df["low"]).fillna(True).astype(bool)

    @pa.dataframe_check(name="ohlc_within_range")
    def ohlc_within_range(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.ohlc_in_range(df)

    @pa.dataframe_check(name="price_on_tick_grid")
    def price_on_tick_grid(cls, df: pd.DataFrame) -> Series[bool]:
        from kis_platform.schemas.ticks import stock_on_grid

        ok = pd.Series(True, index=df.index)
        checked = ~df["adjusted"].astype(bool) if "adjusted" in df.columns else ok  # adjusted prices are off-grid
        for col in ("open", "high", "low", "close"):
            ok &= stock_on_grid(df[col], df["trade_date"], df["symbol"]) | ~checked
        return ok
