"""The grid arithmetic behind the day audit: expected vs present cells (symbol x minute), why cells are empty,
and the completeness-ledger lines that record it.

A cell is *expected* when the calendar's grid has the minute, it had closed by the audit, and the symbol was
due (listed, in the watch list, or a front-month contract). An expected cell without a row is:

* explained (NO_TRADES) when a successful run *verified* it: that run asked the source for the minute and
  the rows it stored for its cells are all still there, so the source had no trade in it;
* unexplained otherwise (MISSING when the source can still be asked, BEYOND_RETENTION when it cannot): the
  minute was never fetched, or rows fetched then are gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import dagster as dg
import numpy as np
import pandas as pd

from kis_platform.quality.completeness import CODES, COLUMNS

SAMPLE = 10  # missing cells named in metadata and ledger details
SEVERITY = ["MISSING", "SOURCE_ERROR", "BEYOND_RETENTION", "NOT_YET_PUBLISHED", "HALTED", "SUSPENDED", "NO_TRADES",
            "NOT_LISTED"]


@dataclass
class Measured:
    """One data set's day: ledger lines (last line '*'), a sample of missing cells, partitions to rerun."""

    dataset: str
    asset: str
    refetchable: bool
    ledger: pd.DataFrame
    missing: list[str]
    repair_keys: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def expected(self) -> int:
        return int(self.ledger.iloc[-1]["expected_rows"])

    @property
    def present(self) -> int:
        return int(self.ledger.iloc[-1]["present_rows"])

    @property
    def unexplained(self) -> int:
        return int(self.ledger.iloc[-1]["details"].get("unexplained_rows", 0))

    @property
    def no_trades(self) -> int:
        return int(self.ledger.iloc[-1]["details"].get("no_trade_rows", 0))


def ledger_lines(dataset: str, day: date, symbols: Sequence[str], minutes: Sequence[datetime], expected: np.ndarray,
                 present: np.ndarray, verified: np.ndarray, gap_reason: str) -> tuple[pd.DataFrame, list[str]]:
    """Completeness lines for `symbols` (rows of the boolean cell matrices, columns = `minutes`) and a sample of
    unexplained cells ("SYMBOL HH:MM"). present_rows counts only expected cells."""
    gaps = expected & ~present & ~verified
    quiet = expected & ~present & verified
    lines, sample = [], []
    for i, symbol in enumerate(symbols):
        want, got = int(expected[i].sum()), int((expected[i] & present[i]).sum())
        holes = np.flatnonzero(gaps[i])
        reason = "COMPLETE" if got >= want else gap_reason if len(holes) else "NO_TRADES"
        details: dict[str, Any] = {"code": CODES[reason], "unexplained_minutes": len(holes),
                                   "no_trade_minutes": int(quiet[i].sum())}
        if len(holes):
            details["first_missing"] = [minutes[j].strftime("%H:%M") for j in holes[:SAMPLE]]
            sample += [f"{symbol} {minutes[j]:%H:%M}" for j in holes[: SAMPLE - len(sample)]]
        lines.append([dataset, day, symbol, want, got, reason, details])
    df = pd.DataFrame(lines, columns=COLUMNS)
    return pd.concat([df, total_line(df, dataset, day, int(gaps.sum()), int(quiet.sum()), sample)],
                     ignore_index=True), sample


def total_line(df: pd.DataFrame, dataset: str, day: date, unexplained: int, no_trades: int,
               sample: list[str]) -> pd.DataFrame:
    """The '*' line: sums, and the most serious reason among the symbols."""
    short = df[df["reason"] != "COMPLETE"]
    counts = short["reason"].value_counts().to_dict()
    reason = next((r for r in SEVERITY if r in counts), "COMPLETE")
    details = {"symbols": len(df), "incomplete_symbols": counts, "code": CODES[reason],
               "unexplained_rows": unexplained, "no_trade_rows": no_trades, "first_missing": sample}
    return pd.DataFrame([[dataset, day, "*", int(df["expected_rows"].sum()), int(df["present_rows"].sum()), reason,
                          details]], columns=COLUMNS)


def latest_metadata(instance: dg.DagsterInstance, asset: str, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Partition key -> metadata values of the newest materialization of `asset`, for the partitions in `keys`."""
    wanted = list(keys)
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=wanted), limit=20 * len(wanted) + 100
    ).records  # newest first
    out: dict[str, dict[str, Any]] = {}
    for record in records:
        mat = record.asset_materialization
        if mat is not None and mat.partition not in out:
            out[mat.partition] = {k: getattr(v, "value", v) for k, v in mat.metadata.items()}
    return out


def verify(verified: np.ndarray, present: np.ndarray, rows: Sequence[int] | slice, lo: int, hi: int,
           stored: Any) -> bool:
    """Mark cells rows x [lo, hi] verified when they still hold at least the `stored` rows a run wrote there
    (`present` may count rows, e.g. two futures contracts in one minute). Unknown `stored`: trust the run."""
    lo = max(lo, 0)
    if hi < lo:
        return True
    block = present[rows, lo : hi + 1]
    ok = stored is None or int(np.asarray(block, dtype=int).sum()) >= int(stored)
    if ok:
        verified[rows, lo : hi + 1] = True
    return ok
