"""option_chain_snapshots rows: shaping a board into table rows, reading a minute back, and recording a lost one."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import dagster as dg
import pandas as pd
import psycopg

from kis_platform.defs.metadata import frame_metadata
from kis_platform.defs.options import matrix as mx
from kis_platform.quality.completeness import compute_completeness, write_completeness
from kis_platform.private_files import replace_file
from kis_platform.settings import Settings
from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.kis.options import option_expiries

UNDERLYING = "KOSPI200"
DATASET = "option_chain_snapshots"
KEY = ["snapshot_ts", "underlying", "expiry", "option_type", "strike"]
COLUMNS = [*KEY[:3], "expiry_date", *KEY[3:], "option_code", "price", "bid", "ask", "theoretical_price", "iv",
           "delta", "gamma", "theta", "vega", "rho", "volume", "turnover_krw", "open_interest",
           "open_interest_change", "moneyness", "is_atm", "underlying_price", "futures_price", "source", "fetched_at"]
NUMERIC = ["strike", "price", "bid", "ask", "theoretical_price", "iv", "delta", "gamma", "theta", "vega", "rho",
           "underlying_price", "futures_price"]
PREVIEW = ["expiry", "option_type", "strike", "price", "iv", "delta", "gamma", "moneyness", "is_atm"]


def listed_expiry_months(kis: KisClient, settings: Settings, today: date) -> tuple[list[str], bool]:
    """The expiry months listed on the KIS option board today (FHPIO056104C0), asked once per day and machine:
    listings change between sessions only, and every minute's run is its own process (one call fewer a minute,
    and one fewer to be refused in a rate-limit burst). Returns (months, came from the cache)."""
    path = settings.home / "cache" / f"option_expiries_{settings.kis_env}_{today:%Y%m%d}.json"
    if path.exists():
        return json.loads(path.read_text()), True
    months = [str(m) for m in option_expiries(kis)["expiry_month"]]
    replace_file(path, json.dumps(months))  # a concurrent run reads no file or the whole one
    return months, False


def to_table(board: pd.DataFrame, snapshot_ts: datetime, expiry: str, source: str,
             fetched_at: datetime) -> pd.DataFrame:
    """One option_board() frame -> option_chain_snapshots rows. `is_atm` follows the matrices' ATM rule
    (matrix.ATM_RULE); KIS's own flag stays in `moneyness`. futures_price is not on the board: NULL."""
    spot = mx.implied_spot(board)
    atm = mx.atm_strike(board["strike"], spot)
    n = len(board)
    df = board.rename(columns={"symbol": "option_code"})
    return df.assign(
        snapshot_ts=snapshot_ts, underlying=UNDERLYING, expiry=expiry, expiry_date=mx.last_trading_day(expiry),
        option_type=df["right"].map({"call": "C", "put": "P"}),
        is_atm=(df["strike"].astype(float) == atm) if atm is not None else False,
        underlying_price=pd.array([spot] * n, dtype="Float64"), futures_price=pd.array([None] * n, dtype="Float64"),
        source=source, fetched_at=fetched_at,
    )[COLUMNS]


def read_snapshot(dsn: str, snapshot_ts: datetime) -> pd.DataFrame:
    """The stored snapshot of one minute (every expiry), numbers as floats."""
    cols = ", ".join(COLUMNS)
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(f"SELECT {cols} FROM {DATASET} WHERE snapshot_ts = %s ORDER BY expiry, option_type, strike",
                    (snapshot_ts,))
        df = pd.DataFrame(cur.fetchall(), columns=COLUMNS)
    for col in NUMERIC:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype("Float64")
    for col in ("snapshot_ts", "fetched_at"):
        df[col] = pd.to_datetime(df[col], utc=True).dt.tz_convert("Asia/Seoul")
    return df


def snapshot_metadata(rows: pd.DataFrame, expiries: list[str]) -> dict[str, Any]:
    """Rows, expiries, strikes per side and expiry, ATM strike and underlying level per expiry, a preview."""
    per_side = rows.groupby(["expiry", "option_type"]).size()
    atm = rows[rows["is_atm"].astype(bool)].groupby("expiry")["strike"].first()
    spot = rows.groupby("expiry")["underlying_price"].first()
    return {
        **frame_metadata(rows[PREVIEW]),
        "expiries": ", ".join(expiries),
        "strikes_per_side": dg.MetadataValue.json({f"{e}/{s}": int(v) for (e, s), v in per_side.items()}),
        "atm_strike": dg.MetadataValue.json({e: float(v) for e, v in atm.items()}),
        "underlying_price": dg.MetadataValue.json({e: None if pd.isna(v) else float(v) for e, v in spot.items()}),
        "atm_rule": mx.ATM_RULE,
    }


def _expected_symbols(day: datetime) -> list[str]:
    months = [f"{(day.replace(day=1) + timedelta(days=32 * i)).strftime('%Y%m')}" for i in range(3)]
    return [f"{m}_{UNDERLYING}" for m in mx.nearest_monthlies(months, day)]


def record_not_recoverable(dsn: str, minute: datetime, now: datetime) -> int:
    """Mark the minute's day in the completeness ledger as short for a reason no backfill can fix
    (BEYOND_RETENTION, code not_recoverable), naming the lost minute. Returns ledger rows written."""
    day = minute.date()
    with psycopg.connect(dsn) as conn:
        present = [r[0] for r in conn.execute(
            f"SELECT DISTINCT expiry || '_' || underlying FROM {DATASET} WHERE snapshot_ts >= %s AND snapshot_ts < %s",
            (minute.replace(hour=0, minute=0), minute.replace(hour=0, minute=0) + timedelta(days=1)))]
    ledger = compute_completeness(dsn, DATASET, day, sorted(present) or _expected_symbols(minute), now=now)
    short = ledger["present_rows"] < ledger["expected_rows"]
    if not short.any():
        return 0
    lost = minute.strftime("%Y-%m-%d-%H:%M")
    ledger.loc[short, "reason"] = "BEYOND_RETENTION"
    ledger["details"] = [{**d, "code": "not_recoverable", "lost_minute": lost} if s else d
                         for d, s in zip(ledger["details"], short)]
    return write_completeness(dsn, ledger)
