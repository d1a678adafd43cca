"""Schemas of the stock master (instruments, instrument_history) and the trading calendar."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from kis_platform.schemas import rules
from kis_platform.schemas.base import (
    SOURCES,
    Day,
    Instant,
    Int,
    Provenance,
    TableSchema,
    Text,
    tz_field,
)

MARKETS = ["KOSPI", "KOSDAQ", "KONEX"]
CHANGE_REASONS = ["LISTING", "FIRST_SEEN", "RENAME", "MARKET_MOVE", "CODE_CHANGE", "SECTOR_CHANGE", "INDEX_CHANGE",
                  "RELISTING", "OTHER"]


class _Security(TableSchema):
    isin: Series[Text] = pa.Field()
    symbol: Series[Text] = pa.Field()
    name: Series[Text] = pa.Field()
    market: Series[Text] = pa.Field(isin=MARKETS)
    sector: Series[Text] = pa.Field(nullable=True, required=False)
    security_group: Series[Text] = pa.Field(nullable=True, required=False)
    is_kospi200: Series[bool] = pa.Field(required=False)
    is_kosdaq150: Series[bool] = pa.Field(required=False)

    @pa.check("isin", name="isin_format")
    def isin_format(cls, s: Series[str]) -> Series[bool]:
        """ISIN shape and Luhn check digit. Any ISO country prefix is accepted: KRX-listed foreign issuers
        (KOSDAQ 900xxx codes) keep their home ISIN (HK…, KY…); domestic securities start with KR."""
        return s.map(rules.isin_valid, na_action="ignore").fillna(False).astype(bool)

    @pa.check("symbol", name="symbol_format")
    def symbol_format(cls, s: Series[str]) -> Series[bool]:
        return s.str.fullmatch(rules.SYMBOL_RE).fillna(False).astype(bool)

    @pa.check("name", name="name_present")
    def name_present(cls, s: Series[str]) -> Series[bool]:
        return (s.str.strip() != "").fillna(False).astype(bool)


class InstrumentSchema(_Security, Provenance):
    """One security (ISIN) as known today, listed or delisted; a delisted one has a delisting date."""

    name_en: Series[Text] = pa.Field(nullable=True, required=False)
    is_active: Series[bool] = pa.Field(required=False)
    listing_date: Series[Day] = pa.Field(nullable=True, required=False)
    delisting_date: Series[Day] = pa.Field(nullable=True, required=False)
    listed_shares: Series[Int] = pa.Field(nullable=True, required=False)
    par_value_krw: Series[Int] = pa.Field(nullable=True, required=False)
    is_kospi100: Series[bool] = pa.Field(required=False)
    is_kospi50: Series[bool] = pa.Field(required=False)
    is_krx300: Series[bool] = pa.Field(required=False)
    updated_at: Series[Instant] = tz_field(required=False)

    @pa.check("listed_shares", "par_value_krw", name="amount_non_negative")
    def amount_non_negative(cls, s: Series[int]) -> Series[bool]:
        return (s.isna() | (s >= 0)).astype(bool)

    @pa.dataframe_check(name="listing_dates_ordered")
    def listing_dates_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        if not {"listing_date", "delisting_date"} <= set(df.columns):
            return pd.Series(True, index=df.index)
        lo, hi = df["listing_date"], df["delisting_date"]
        ok = lo.isna() | hi.isna() | (pd.to_datetime(hi) >= pd.to_datetime(lo))
        if "is_active" in df.columns:
            ok &= df["is_active"].astype(bool) | hi.notna()
        return ok.astype(bool)

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        ok = rules.first_of_keys(df, ["isin"])
        active = df["is_active"].astype(bool) if "is_active" in df.columns else pd.Series(True, index=df.index)
        return ok & ~(active & df[active].duplicated("symbol", keep="first").reindex(df.index, fill_value=False))


class InstrumentHistorySchema(_Security):
    """One period [valid_from, valid_to) during which a security had the same code, name, market and indexes."""

    valid_from: Series[Day] = pa.Field()
    valid_to: Series[Day] = pa.Field(nullable=True)
    change_reason: Series[Text] = pa.Field(isin=CHANGE_REASONS)
    source: Series[Text] = pa.Field(isin=list(SOURCES))
    recorded_at: Series[Instant] = tz_field(required=False)

    @pa.dataframe_check(name="period_ordered")
    def period_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        return (df["valid_to"].isna() | (pd.to_datetime(df["valid_to"]) > pd.to_datetime(df["valid_from"]))).astype(bool)

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.first_of_keys(df, ["isin", "valid_from"])


class TradingCalendarSchema(TableSchema):
    """One calendar day: open or not, and the regular session's open and close instants when open."""

    day: Series[Day] = pa.Field()
    is_open: Series[bool] = pa.Field()
    open_at: Series[Instant] = tz_field(nullable=True)
    close_at: Series[Instant] = tz_field(nullable=True)
    is_late_open: Series[bool] = pa.Field(required=False)
    special_reason: Series[Text] = pa.Field(nullable=True, required=False)
    kis_is_open: Series[pd.BooleanDtype] = pa.Field(nullable=True, required=False)
    xkrx_is_open: Series[pd.BooleanDtype] = pa.Field(nullable=True, required=False)
    krx_is_open: Series[pd.BooleanDtype] = pa.Field(nullable=True, required=False)
    source: Series[Text] = pa.Field(isin=[*SOURCES, "XKRX"])
    fetched_at: Series[Instant] = tz_field()

    @pa.dataframe_check(name="session_times_consistent")
    def session_times_consistent(cls, df: pd.DataFrame) -> Series[bool]:
        both = df["open_at"].notna() & df["close_at"].notna()
        ok = (df["is_open"] == df["open_at"].notna()) & (df["is_open"] == df["close_at"].notna())
        ok &= ~both | (df["close_at"] > df["open_at"])
        if "is_late_open" in df.columns:
            ok &= ~df["is_late_open"].astype(bool) | df["is_open"]
        return ok.astype(bool)

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.first_of_keys(df, ["day"])
