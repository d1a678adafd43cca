"""Schemas of option_chain_snapshots and option_matrices (KOSPI200 option board, index points)."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from kis_platform.schemas import rules
from kis_platform.schemas.base import Day, Instant, Int, Provenance, Text, tz_field
from kis_platform.schemas.ticks import option_on_grid

UNDERLYINGS = ["KOSPI200", "MINI_KOSPI200", "KOSDAQ150", "WEEKLY_MON", "WEEKLY_THU"]
METRICS = ["price", "iv", "delta", "gamma", "theta", "vega", "rho", "volume", "open_interest", "bid", "ask",
           "theoretical_price", "strike"]
CELLS = [f"{side}_{pos}{k}" for side in "cp" for pos in ("itm", "otm") for k in range(1, 11)] + ["c_atm", "p_atm"]


def _non_negative(s: pd.Series) -> pd.Series:
    return (s.isna() | (s >= 0)).astype(bool)


class OptionChainSnapshotSchema(Provenance):
    """One strike of one option series as the KIS option board showed it at `snapshot_ts`.

    Greeks must make sense: IV above zero, delta within [-1, 1] and ≥ 0 for calls, ≤ 0 for puts, gamma ≥ 0.
    A snapshot cannot be fetched again, so asset authors may keep the valid rows (drop_invalid=True).
    """

    snapshot_ts: Series[Instant] = tz_field()
    underlying: Series[Text] = pa.Field(isin=UNDERLYINGS)
    expiry: Series[Text] = pa.Field(str_matches=r"^[0-9]{6}$")
    expiry_date: Series[Day] = pa.Field(nullable=True, required=False)
    option_type: Series[Text] = pa.Field(isin=["C", "P"])
    strike: Series[float] = pa.Field()
    option_code: Series[Text] = pa.Field()
    price: Series[float] = pa.Field(nullable=True, required=False)
    bid: Series[float] = pa.Field(nullable=True, required=False)
    ask: Series[float] = pa.Field(nullable=True, required=False)
    theoretical_price: Series[float] = pa.Field(nullable=True, required=False)
    iv: Series[float] = pa.Field(nullable=True, required=False)
    delta: Series[float] = pa.Field(nullable=True, required=False)
    gamma: Series[float] = pa.Field(nullable=True, required=False)
    theta: Series[float] = pa.Field(nullable=True, required=False)
    vega: Series[float] = pa.Field(nullable=True, required=False)
    rho: Series[float] = pa.Field(nullable=True, required=False)
    volume: Series[Int] = pa.Field(nullable=True, required=False)
    turnover_krw: Series[Int] = pa.Field(nullable=True, required=False)
    open_interest: Series[Int] = pa.Field(nullable=True, required=False)
    open_interest_change: Series[Int] = pa.Field(nullable=True, required=False)
    moneyness: Series[Text] = pa.Field(nullable=True, required=False, isin=["ITM", "ATM", "OTM"])
    is_atm: Series[bool] = pa.Field(required=False)
    underlying_price: Series[float] = pa.Field(nullable=True, required=False)
    futures_price: Series[float] = pa.Field(nullable=True, required=False)

    @pa.check("strike", "underlying_price", "futures_price", name="price_positive")
    def price_positive(cls, s: Series[float]) -> Series[bool]:
        return (s.isna() | (s > 0)).astype(bool)

    @pa.check("price", "bid", "ask", "volume", "turnover_krw", "open_interest", name="amount_non_negative")
    def amount_non_negative(cls, s: Series[float]) -> Series[bool]:
        return _non_negative(s)

    @pa.check("iv", name="iv_positive")
    def iv_positive(cls, s: Series[float]) -> Series[bool]:
        return (s.isna() | (s > 0)).astype(bool)

    @pa.check("gamma", name="gamma_non_negative")
    def gamma_non_negative(cls, s: Series[float]) -> Series[bool]:
        return _non_negative(s)

    @pa.check("delta", name="delta_in_range")
    def delta_in_range(cls, s: Series[float]) -> Series[bool]:
        return (s.isna() | s.between(-1, 1)).astype(bool)

    @pa.dataframe_check(name="delta_sign_matches_type")
    def delta_sign_matches_type(cls, df: pd.DataFrame) -> Series[bool]:
        if "delta" not in df.columns:
            return pd.Series(True, index=df.index)
        d = df["delta"]
        return (d.isna() | ((df["option_type"] == "C") & (d >= 0)) | ((df["option_type"] == "P") & (d <= 0))).astype(
            bool)

    @pa.dataframe_check(name="bid_le_ask")
    def bid_le_ask(cls, df: pd.DataFrame) -> Series[bool]:
        if not {"bid", "ask"} <= set(df.columns):
            return pd.Series(True, index=df.index)
        b, a = df["bid"], df["ask"]
        return (b.isna() | a.isna() | (a == 0) | (b == 0) | (a >= b)).astype(bool)

    @pa.dataframe_check(name="price_on_tick_grid")
    def price_on_tick_grid(cls, df: pd.DataFrame) -> Series[bool]:
        ok = pd.Series(True, index=df.index)
        for col in ("price", "bid", "ask"):
            if col in df.columns:
                ok &= option_on_grid(df[col], df["underlying"])
        return ok

    @pa.dataframe_check(name="bar_in_session")
    def bar_in_session(cls, df: pd.DataFrame) -> Series[bool]:
        ts = df["snapshot_ts"]
        return rules.derivatives_in_session(ts, rules.kst_date(ts)) & rules.on_minute(ts)

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.first_of_keys(df, ["snapshot_ts", "underlying", "expiry", "option_type", "strike"])


_CELL_FIELDS = {c: pa.Field(nullable=True, required=False) for c in CELLS}


class OptionMatrixSchema(Provenance):
    """One metric of one option series at one snapshot, laid out ITM10 … ATM … OTM10 for calls and puts.

    Cells obey the chain's rules for their metric: delta cells in [-1, 1] (calls ≥ 0, puts ≤ 0), IV cells
    above zero, gamma cells ≥ 0.
    """

    timestamp: Series[Instant] = tz_field()
    underlying_symbol: Series[Text] = pa.Field(str_matches=r"^[0-9]{6}_[A-Z0-9_]+$")
    metric_type: Series[Text] = pa.Field(isin=METRICS)
    atm_strike: Series[float] = pa.Field(nullable=True, required=False, gt=0)
    atm_rule: Series[Text] = pa.Field(required=False)
    __annotations__.update({c: Series[float] for c in CELLS})
    locals().update(_CELL_FIELDS)

    @pa.dataframe_check(name="matrix_cells_valid")
    def matrix_cells_valid(cls, df: pd.DataFrame) -> Series[bool]:
        calls = [c for c in CELLS if c.startswith("c_") and c in df.columns]
        puts = [c for c in CELLS if c.startswith("p_") and c in df.columns]
        m = df["metric_type"]
        bad = pd.Series(False, index=df.index)
        for cols, sign in ((calls, 1), (puts, -1)):
            v = df[cols]
            bad |= (m == "delta") & ((v.abs() > 1) | (v * sign < 0)).any(axis=1)
        allc = df[calls + puts]
        bad |= (m == "iv") & (allc <= 0).any(axis=1)
        bad |= (m == "gamma") & (allc < 0).any(axis=1)
        return ~bad

    @pa.dataframe_check(name="bar_in_session")
    def bar_in_session(cls, df: pd.DataFrame) -> Series[bool]:
        ts = df["timestamp"]
        return rules.derivatives_in_session(ts, rules.kst_date(ts)) & rules.on_minute(ts)

    @pa.dataframe_check(name="no_duplicate_keys")
    def no_duplicate_keys(cls, df: pd.DataFrame) -> Series[bool]:
        return rules.first_of_keys(df, ["timestamp", "underlying_symbol", "metric_type"])
