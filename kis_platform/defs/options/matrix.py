"""Pure functions behind the option assets: which expiries to snapshot, the underlying level the board implies,
the ATM rule, and the ATM-relative matrix (the user's ITM10 … ATM … OTM10 layout).

The ATM rule is versioned (`ATM_RULE`, stored in option_matrices.atm_rule): change the rule, change the name, so
matrices built under different rules are never mixed up silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd

from kis_platform import calendar
from kis_platform.calendar import KST

ATM_RULE = "nearest_to_spot_v1"  # strike nearest the KOSPI200 level implied by the board; tie -> lower strike
DEPTH = 10
METRICS = ["price", "iv", "delta", "gamma", "theta", "vega", "volume", "open_interest", "strike"]
CALL_CELLS = [f"c_itm{k}" for k in range(DEPTH, 0, -1)] + ["c_atm"] + [f"c_otm{k}" for k in range(1, DEPTH + 1)]
PUT_CELLS = [f"p_itm{k}" for k in range(DEPTH, 0, -1)] + ["p_atm"] + [f"p_otm{k}" for k in range(1, DEPTH + 1)]
LAST_TRADE = time(15, 20)  # expiring KOSPI200 options stop trading at 15:20 on their last trading day


def last_trading_day(expiry_month: str) -> date:
    """Last trading day of a KOSPI200 monthly option (YYYYMM): the 2nd Thursday, or the session before it."""
    first = date(int(expiry_month[:4]), int(expiry_month[4:6]), 1)
    d = first + timedelta(days=(3 - first.weekday()) % 7 + 7)
    try:
        return d if calendar.is_session(d) else calendar.previous_session(d)
    except ValueError:  # beyond the calendar's range: the rule without holidays
        return d


def nearest_monthlies(expiry_months: Iterable[str], now: datetime, count: int = 2) -> list[str]:
    """The `count` nearest monthly expiries (YYYYMM) that still trade at `now`; weeklies (YYMMWW) are ignored."""
    live = []
    for m in sorted({str(m) for m in expiry_months if str(m).isdigit() and len(str(m)) == 6 and str(m)[:2] == "20"}):
        if datetime.combine(last_trading_day(m), LAST_TRADE, KST) > now:
            live.append(m)
    return live[:count]


def implied_spot(board: pd.DataFrame) -> float | None:
    """KOSPI200 level the board implies: KIS computes intrinsic value against the index (strike + intrinsic for
    in-the-money calls, strike - intrinsic for puts), so every ITM row names it; the median resists a bad row."""
    itm = board[board["intrinsic_value"].fillna(0) > 0]
    if itm.empty:
        return None
    sign = np.where(itm["right"].to_numpy() == "call", 1.0, -1.0)
    levels = itm["strike"].astype(float).to_numpy() + sign * itm["intrinsic_value"].astype(float).to_numpy()
    return round(float(np.median(levels)), 2)


def atm_strike(strikes: Iterable[float], underlying: float | None) -> float | None:
    """The listed strike nearest `underlying`; on a tie, the lower strike. None without an underlying level."""
    ks = np.sort(np.unique(np.asarray(list(strikes), dtype=float)))
    if underlying is None or pd.isna(underlying) or ks.size == 0:
        return None
    return float(ks[int(np.argmin(np.abs(ks - float(underlying))))])  # argmin keeps the first (lower) of a tie


def cell_strikes(strikes: Iterable[float], atm: float) -> dict[str, float | None]:
    """Strike at every matrix cell. Calls: ITM k = k listed strikes below ATM, OTM k = k above; puts the other way
    round. A position beyond the listed strikes (the edge of the board) is None."""
    ks = np.sort(np.unique(np.asarray(list(strikes), dtype=float)))
    i = int(np.searchsorted(ks, atm))

    def at(j: int) -> float | None:
        return float(ks[j]) if 0 <= j < ks.size else None

    out: dict[str, float | None] = {"c_atm": at(i), "p_atm": at(i)}
    for k in range(1, DEPTH + 1):
        out.update({f"c_itm{k}": at(i - k), f"c_otm{k}": at(i + k), f"p_itm{k}": at(i + k), f"p_otm{k}": at(i - k)})
    return out


def build_matrix(chain: pd.DataFrame, atm: float, metrics: list[str] = METRICS) -> pd.DataFrame:
    """One row per metric for one snapshot and expiry: `metric_type` and the 42 cells (NULL where not listed).
    `chain` has option_type (C/P), strike and the metric columns."""
    cells = cell_strikes(chain["strike"], atm)
    values = {}
    for side in "CP":
        rows_of_side = chain[chain["option_type"] == side]
        values[side] = rows_of_side.set_index(rows_of_side["strike"].astype(float).to_numpy())
    rows = []
    for metric in metrics:
        row: dict[str, object] = {"metric_type": metric}
        for cell, strike in cells.items():
            side = values["C" if cell.startswith("c_") else "P"]
            ok = strike is not None and strike in side.index
            row[cell] = float(side.at[strike, metric]) if ok and pd.notna(side.at[strike, metric]) else None
        rows.append(row)
    out = pd.DataFrame(rows, columns=["metric_type", *CALL_CELLS, *PUT_CELLS])
    return out.astype({c: "Float64" for c in CALL_CELLS + PUT_CELLS})


def kis_atm(chain: pd.DataFrame) -> float | None:
    """The strike KIS flags ATM (atm_cls_name) on the call side, if any."""
    flagged = chain[(chain["option_type"] == "C") & (chain["moneyness"] == "ATM")]["strike"]
    return float(flagged.iloc[0]) if len(flagged) else None
