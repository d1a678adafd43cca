"""Schema of investor_flows: 15 investor types x {net, buy, sell} x {qty, krw}, generated like the SQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from kis_platform.schemas import rules
from kis_platform.schemas.base import Day, Int, Provenance, Text

INVESTORS = ("foreign", "foreign_registered", "foreign_unregistered", "individual", "institution", "securities",
             "investment_trust", "private_equity", "bank", "insurance", "merchant_bank", "pension_fund",
             "other_finance", "other_corp", "other_org")
MEASURES = ("net_qty", "net_krw", "buy_qty", "buy_krw", "sell_qty", "sell_krw")
FLOW_COLUMNS = [f"{i}_{m}" for i in INVESTORS for m in MEASURES]
# Every trade has one buyer and one seller, so net buying over a partition of all investors is zero. The
# top-level partition is foreign + individual + institution + the "other" group (other_corp + other_org when
# given, else the KIS "etc" total stored as other_finance). Rows with only the three big groups are not checked.
TOP_LEVEL = ("foreign", "individual", "institution")
OTHERS = (("other_corp", "other_org"), ("other_finance",))
# Tolerance: KIS rounds each group's KRW amounts to 1 million, so each group's net can be off by 1 million
# (x 1,000,000 stored); quantities are exact, but allow 0.1 % of the day's bought shares for late corrections.
KRW_ROUNDING = 1_000_000
QTY_SLACK = 0.001


def nets_balance(df: pd.DataFrame) -> pd.Series:
    """True where net buying sums to about zero over the investor partition (final rows only)."""
    ok = pd.Series(True, index=df.index)
    for unit in ("qty", "krw"):
        cols = [f"{g}_net_{unit}" for g in TOP_LEVEL]
        if not set(cols) <= set(df.columns):
            continue
        others = next((grp for grp in OTHERS if all(f"{g}_net_{unit}" in df.columns for g in grp)
                       and df[[f"{g}_net_{unit}" for g in grp]].notna().any(axis=None)), None)
        if others is None:
            continue
        parts = df[cols + [f"{g}_net_{unit}" for g in others]].astype("Float64")
        provisional = df.get("is_provisional", pd.Series(False, index=df.index)).astype("boolean").fillna(False)
        checkable = parts.notna().all(axis=1) & ~provisional.astype(bool)
        total = parts.sum(axis=1).abs()
        if unit == "krw":
            slack = KRW_ROUNDING * parts.shape[1]
        else:
            buys = [f"{g}_buy_qty" for g in TOP_LEVEL if f"{g}_buy_qty" in df.columns]
            gross = df[buys].astype("Float64").sum(axis=1) if buys else 0
            slack = np.maximum(10, QTY_SLACK * gross)
        ok &= (~checkable | (total <= slack)).fillna(True).astype(bool)
    return ok


class _InvestorFlowBase(Provenance):
    symbol: Series[Text] = pa.Field()
    trade_date: Series[Day] = pa.Field()
    is_provisional: Series[bool] = pa.Field(required=False)
    revision: Series[Int] = pa.Field(required=False, ge=0)

    @pa.check("symbol", name="symbol_format")
    def symbol_format(cls, s: Series[str]) -> Series[bool]:
        return s.str.fullmatch(rules.SYMBOL_RE).fillna(False).astype(bool)

    @pa.check(r"^[a-z_]+_(buy|sell)_(qty|krw)$", regex=True, name="amount_non_negative")
    def amount_non_negative(cls, s: Series[int]) -> Series[bool]:
        return (s.isna() | (s >= 0)).astype(bool)

    @pa.dataframe_check(name="investor_nets_balance")
    def investor_nets_balance(cls, df: pd.DataFrame) -> Series[bool]:
        return nets_balance(df)

    @pa.dataframe_check(name="trade_date_is_session")
    def trade_date_is_session(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.is_session_day(df["trade_date"])

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.first_of_keys(df, ["symbol", "trade_date", "source", "is_provisional"])


# 90 identical nullable bigint columns: generated so the schema cannot drift from the SQL loop.
InvestorFlowSchema: type[pa.DataFrameModel] = type("InvestorFlowSchema", (_InvestorFlowBase,), {
    "__module__": __name__,
    "__doc__": "Who bought and sold one stock on one day (shares and KRW), final or provisional. Buys and sells "
               "are never negative; final net buying sums to about zero over all investors.",
    "__annotations__": {c: Series[Int] for c in FLOW_COLUMNS},
    **{c: pa.Field(nullable=True, required=False) for c in FLOW_COLUMNS},
})
