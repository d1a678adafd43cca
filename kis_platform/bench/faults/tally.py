"""Counting a scenario's outcome: rows expected (from the reference), present, missing and duplicated, and
partitions left partial, compared on each data set's natural key."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date

import pandas as pd
import psycopg

from kis_platform.bench.faults.reference import DAILY_COLUMNS, MINUTE_COLUMNS
from kis_platform.defs.partitions import parse_minute_key


@dataclass
class Tally:
    """One scenario's figures. `rows_duplicated` counts every row that should not be there: rows sharing a
    natural key, rows whose key the reference does not have, and rows whose values differ from it.
    A partial partition is one whose rows are a strict subset of the expected ones (an empty one included)."""

    scenario: str
    family: str
    dataset: str
    partitions: int
    rows_expected: int
    rows_present: int
    rows_missing: int
    rows_duplicated: int
    partial_partitions: int
    unmaterialized: int = 0  # partitions without a successful materialization after the repair
    repaired_by: str = ""
    visible: str = ""  # how the fault showed (errors, retries, failed runs)
    broken: str = ""  # a requirement other than rows that was not met (e.g. a second token issued)
    notes: list[str] = field(default_factory=list)
    counters: dict[str, int] = field(default_factory=dict)  # figures behind `visible`, for tests

    @property
    def ok(self) -> bool:
        return not (self.rows_missing or self.rows_duplicated or self.partial_partitions or self.unmaterialized
                    or self.broken)

    def as_dict(self) -> dict:
        return {**asdict(self), "ok": self.ok}


def compare(expected: pd.DataFrame, present: pd.DataFrame, key: list[str], partition: str) -> dict[str, int]:
    """Counts of `present` against `expected` on `key`; `partition` is the column naming each row's partition."""
    values = [c for c in expected.columns if c not in key and c != partition]
    dup_keys = len(present) - len(present.drop_duplicates(key))
    merged = expected.merge(present.drop_duplicates(key), on=key, how="outer", suffixes=("", "_got"),
                            indicator=True)
    missing = merged["_merge"] == "left_only"
    both = merged[merged["_merge"] == "both"]
    differing = pd.Series(False, index=both.index)
    for column in values:
        differing |= both[column].astype("float64") != both[f"{column}_got"].astype("float64")
    per_partition = merged[missing].groupby(partition).size()
    return {
        "rows_expected": len(expected), "rows_present": len(present), "rows_missing": int(missing.sum()),
        "rows_duplicated": dup_keys + int((merged["_merge"] == "right_only").sum()) + int(differing.sum()),
        "partial_partitions": int((per_partition > 0).sum()),
    }


def minute_rows(dsn: str, symbols: tuple[str, ...], keys: list[str]) -> pd.DataFrame:
    """Stored minute_bars of `symbols` in the minutes named by `keys`."""
    starts = [parse_minute_key(k) for k in keys]
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT symbol, bar_start, open, high, low, close, volume, turnover_krw FROM minute_bars "
            "WHERE symbol = ANY(%s) AND bar_start = ANY(%s)", (list(symbols), starts)).fetchall()
    return pd.DataFrame(rows, columns=MINUTE_COLUMNS)


def daily_rows(dsn: str, symbols: tuple[str, ...], days: list[date], source: str = "SIM_KIS") -> pd.DataFrame:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT symbol, trade_date, adjusted, open, high, low, close, volume, turnover_krw FROM daily_bars "
            "WHERE source = %s AND symbol = ANY(%s) AND trade_date = ANY(%s)",
            (source, list(symbols), days)).fetchall()
    return pd.DataFrame(rows, columns=DAILY_COLUMNS)


def tally_minutes(scenario: str, family: str, dsn: str, reference: pd.DataFrame, symbols: tuple[str, ...],
                  keys: list[str]) -> Tally:
    present = minute_rows(dsn, symbols, keys)
    expected, present = reference.copy(), present.copy()
    for df in (expected, present):
        df["bar_start"] = pd.to_datetime(df["bar_start"], utc=True)
        df["partition"] = df["bar_start"].dt.tz_convert("Asia/Seoul").dt.strftime("%Y-%m-%d-%H:%M")
    counts = compare(expected, present.drop(columns="partition"), ["symbol", "bar_start"], "partition")
    return Tally(scenario, family, "minute_bars", len(keys), **counts)


def tally_days(scenario: str, family: str, dsn: str, reference: pd.DataFrame, symbols: tuple[str, ...],
               days: list[date]) -> Tally:
    present = daily_rows(dsn, symbols, days)
    expected = reference.assign(partition=reference["trade_date"].astype(str))
    counts = compare(expected, present, ["symbol", "trade_date", "adjusted"], "partition")
    return Tally(scenario, family, "daily_bars (KIS)", len(days), **counts)
