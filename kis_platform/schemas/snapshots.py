"""Schema of instrument_snapshots: the listed universe as the sources reported it on one trading day."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from kis_platform.schemas import rules
from kis_platform.schemas.base import Day, Int, Provenance, Text
from kis_platform.schemas.master import _Security


class InstrumentSnapshotSchema(_Security, Provenance):
    """One security listed on `day`, as the day's master files said. instruments and instrument_history are
    rebuilt from these rows, so a bad ISIN or a code listed twice would corrupt the point-in-time master."""

    day: Series[Day] = pa.Field()
    name_en: Series[Text] = pa.Field(nullable=True, required=False)
    listing_date: Series[Day] = pa.Field(nullable=True, required=False)
    listed_shares: Series[Int] = pa.Field(nullable=True, required=False)
    par_value_krw: Series[Int] = pa.Field(nullable=True, required=False)
    is_kospi100: Series[bool] = pa.Field(required=False)
    is_kospi50: Series[bool] = pa.Field(required=False)
    is_krx300: Series[bool] = pa.Field(required=False)

    @pa.check("listed_shares", "par_value_krw", name="amount_non_negative")
    def amount_non_negative(cls, s: Series[int]) -> Series[bool]:
        return (s.isna() | (s >= 0)).astype(bool)

    @pa.dataframe_check(name="listing_dates_ordered")
    def listing_dates_ordered(cls, df: pd.DataFrame) -> Series[bool]:
        if "listing_date" not in df.columns:
            return pd.Series(True, index=df.index)
        return (df["listing_date"].isna() | (pd.to_datetime(df["listing_date"]) <= pd.to_datetime(df["day"]))).astype(
            bool)

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        """One row per (day, ISIN), and one ISIN per short code on a day."""
        return rules.first_of_keys(df, ["day", "isin"]) & rules.first_of_keys(df, ["day", "symbol"])
