"""Valid frames for every guarded table, and the simulator's bad-data faults applied to them.

The corruptions mirror kis_platform/simulator/baddata.py (negative close, close + 1 tick-unit, high/low swapped,
17:00 timestamps, duplicated rows, a frozen feed, impossible greeks) so the guard is tested on the same damage.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

KST = "Asia/Seoul"
DAY = dt.date(2025, 3, 4)  # a Tuesday session, 09:00-15:30
FETCHED = pd.Timestamp("2025-03-04 15:40", tz=KST)


def minute_bars(day: dt.date = DAY, symbols: tuple[str, ...] = ("005930", "000660"), minutes: int = 30,
                start: str = "09:00", seed: int = 1) -> pd.DataFrame:
    """`minutes` bars per symbol from `start`, prices 50,000-60,000 on the 100-KRW grid, valid OHLC."""
    rng = np.random.default_rng(seed)
    starts = pd.date_range(pd.Timestamp(f"{day} {start}", tz=KST), periods=minutes, freq="min")
    n = len(starts) * len(symbols)
    close = rng.integers(500, 600, n) * 100
    openp = close + rng.integers(-2, 3, n) * 100
    high = np.maximum(openp, close) + rng.integers(0, 3, n) * 100
    low = np.minimum(openp, close) - rng.integers(0, 3, n) * 100
    volume = rng.integers(1, 20_000, n)
    bar_start = pd.DatetimeIndex(np.tile(starts.values, len(symbols))).tz_localize("UTC").tz_convert(KST)
    return pd.DataFrame({
        "symbol": np.repeat(symbols, len(starts)), "bar_start": bar_start,
        "bar_end": bar_start + pd.Timedelta(minutes=1), "open": openp, "high": high, "low": low, "close": close,
        "volume": volume, "turnover_krw": volume * close, "session": "krx_regular", "trade_date": day,
        "is_final": True, "source": "SIM_KIS", "fetched_at": FETCHED,
    })


def daily_bars(days: list[dt.date], symbol: str = "005930", closes: list[int] | None = None) -> pd.DataFrame:
    closes = closes or [57_000 + 100 * i for i in range(len(days))]
    return pd.DataFrame({
        "symbol": symbol, "trade_date": days, "source": "SIM_KIS", "adjusted": False,
        "open": closes, "high": [c + 500 for c in closes], "low": [c - 500 for c in closes], "close": closes,
        "volume": 1_000, "turnover_krw": [c * 1_000 for c in closes], "fetched_at": FETCHED,
    })


def option_chain(ts: str = "2025-03-04 10:00", strikes: tuple[float, ...] = (340.0, 342.5, 345.0)) -> pd.DataFrame:
    rows = []
    for right, sign in (("C", 1), ("P", -1)):
        for i, k in enumerate(strikes):
            rows.append({
                "snapshot_ts": pd.Timestamp(ts, tz=KST), "underlying": "KOSPI200", "expiry": "202503",
                "option_type": right, "strike": k, "option_code": f"{'2' if right == 'C' else '3'}01W3{int(k)}",
                "price": 2.15 + i * 0.5, "bid": 2.1 + i * 0.5, "ask": 2.2 + i * 0.5, "iv": 18.5,
                "delta": sign * (0.55 - 0.1 * i) if right == "C" else sign * (0.45 + 0.1 * i), "gamma": 0.04,
                "theta": -0.1, "vega": 0.3, "volume": 100, "open_interest": 1_000, "is_atm": i == 1,
                "source": "SIM_KIS", "fetched_at": pd.Timestamp(ts, tz=KST) + pd.Timedelta(seconds=5),
            })
    return pd.DataFrame(rows)


# --- the simulator's faults ---------------------------------------------------------------------------------

def negative_price(df: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    out = df.copy()
    out.loc[rows, "close"] = -out.loc[rows, "close"]
    return out


def off_grid_price(df: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    out = df.copy()
    out.loc[rows, "close"] = out.loc[rows, "close"] + 1
    out.loc[rows, "high"] = np.maximum(out.loc[rows, "high"], out.loc[rows, "close"] + 99)
    return out


def high_below_low(df: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    out = df.copy()
    for r in rows:
        if out.loc[r, "high"] == out.loc[r, "low"]:
            out.loc[r, "high"] += 100
        out.loc[r, ["high", "low"]] = out.loc[r, ["low", "high"]].to_numpy()
    return out


def outside_session(df: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    out = df.copy()
    late = pd.Timestamp(f"{out.loc[rows[0], 'trade_date']} 17:00", tz=KST)
    out.loc[rows, "bar_start"] = [late + pd.Timedelta(minutes=i) for i in range(len(rows))]
    out.loc[rows, "bar_end"] = out.loc[rows, "bar_start"] + pd.Timedelta(minutes=1)
    return out


def duplicate_rows(df: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    return pd.concat([df, df.loc[rows]], ignore_index=True)


def stale_feed(df: pd.DataFrame, symbol: str, from_row: int) -> pd.DataFrame:
    """From `from_row` (within `symbol`'s bars) on, every bar repeats that bar's prices and volume."""
    out = df.copy()
    idx = out.index[out["symbol"] == symbol][from_row:]
    for col in ("open", "high", "low", "close", "volume", "turnover_krw"):
        out.loc[idx, col] = out.loc[idx[0], col]
    return out


def nonsense_greeks(df: pd.DataFrame, rows: list[int]) -> pd.DataFrame:
    out = df.copy()
    out.loc[rows, ["delta", "gamma", "iv"]] = [1.75, -0.5, 0.0]
    return out
