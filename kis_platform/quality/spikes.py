"""WARN checks on written data: big daily moves, minute volume spikes, frozen feeds. They flag, never block:
each has legitimate exceptions (a listing day, a block trade, a flat illiquid stock) an analyst should look at.

    checks = [spike_check("daily_bars", "daily_close", TRADING_DAYS),
              spike_check("minute_bars", "minute_volume", TRADING_DAYS),
              stale_feed_check("minute_bars", TRADING_DAYS)]
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import dagster as dg
import pandas as pd
import psycopg
from psycopg import sql

from kis_platform import calendar
from kis_platform.quality.checks import (
    DsnFn,
    check_partition_key,
    default_dsn,
    sample_md,
)
from kis_platform.quality.windows import partition_day, partition_window
from kis_platform.schemas.rules import PRICE_LIMIT, daily_move_within_limit

VOLUME_RATIO = 50  # a minute at 50x the symbol's median minute that day
STALE_RUN = 5  # five identical bars in a row


def _read(dsn: str, query: str | sql.Composable, params: tuple) -> pd.DataFrame:
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(query, params)
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])


def flag_result(rule: str, checked: int, bad: pd.DataFrame, **extra: object) -> dg.AssetCheckResult:
    """A WARN check result of `rule` over `checked` rows, failing on the `bad` ones (with a sample)."""
    return dg.AssetCheckResult(passed=bad.empty, severity=dg.AssetCheckSeverity.WARN, metadata={
        "rule": rule, "rows_checked": checked, "num_failures": len(bad),
        "symbols": dg.MetadataValue.json(sorted(bad["symbol"].astype(str).unique().tolist()) if len(bad) else []),
        "sample": sample_md(bad), **extra})


def daily_close_moves(dsn: str, day: date, limit: float = PRICE_LIMIT) -> tuple[int, pd.DataFrame]:
    """Raw daily closes of `day` that moved more than `limit` from the previous session's close (same source)."""
    prev = calendar.previous_session(day)
    df = _read(dsn, "SELECT d.symbol, d.source, d.close, p.close AS prev_close FROM daily_bars d LEFT JOIN daily_bars p "
                    "ON p.symbol = d.symbol AND p.source = d.source AND NOT p.adjusted AND p.trade_date = %s "
                    "WHERE d.trade_date = %s AND NOT d.adjusted", (prev, day))
    if df.empty:
        return 0, df
    df["move_pct"] = (100 * (df["close"].astype(float) / df["prev_close"].astype(float) - 1)).round(2)
    return len(df), df[~daily_move_within_limit(df["close"], df["prev_close"], limit)]


def minute_volume_spikes(dsn: str, key: str, ratio: float = VOLUME_RATIO) -> tuple[int, pd.DataFrame]:
    """Continuous-session minutes whose volume is above `ratio` x the symbol's median minute of the day (the open
    and close bars are auctions and excluded). A minute key tests only that minute's bars, against each symbol's
    median of the day so far, so the check of a minute partition costs the same at 15:00 as at 09:05."""
    day = partition_day(key)
    o, c = calendar.session_bounds(day)
    if len(key) > 10:
        minute = partition_window(key)[0]
        df = _read(dsn, "SELECT b.symbol, b.bar_start, b.volume, m.median_volume FROM minute_bars b "
                        "CROSS JOIN LATERAL (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d.volume) AS median_volume"
                        " FROM minute_bars d WHERE d.symbol = b.symbol AND d.bar_start > %s AND d.bar_start < %s) m "
                        "WHERE b.bar_start = %s AND b.bar_start > %s AND b.bar_start < %s", (o, c, minute, o, c))
        if df.empty:
            return 0, df
        df["median_volume"] = df["median_volume"].astype(float)
    else:
        df = _read(dsn, "SELECT symbol, bar_start, volume FROM minute_bars WHERE bar_start > %s AND bar_start < %s",
                   (o, c))
        if df.empty:
            return 0, df
        df["median_volume"] = df.groupby("symbol")["volume"].transform("median").astype(float)
    return len(df), df[(df["volume"] > ratio * df["median_volume"]) & (df["median_volume"] > 0)]


def stale_runs(dsn: str, key: str, table: str = "minute_bars", min_run: int = STALE_RUN) -> tuple[int, pd.DataFrame]:
    """Per symbol, runs of at least `min_run` consecutive bars with identical OHLC and volume (volume > 0). A
    minute key looks at the `min_run` minutes up to and including it (the feed froze at least that long by then),
    so the check of a minute partition does not read the whole day."""
    lo, hi = partition_window(key[:10])
    if len(key) > 10:
        minute = partition_window(key)[0]
        lo, hi = minute - timedelta(minutes=min_run - 1), minute + timedelta(minutes=1)
    df = _read(dsn, sql.SQL("SELECT symbol, bar_start, open, high, low, close, volume FROM {} "
                            "WHERE bar_start >= %s AND bar_start < %s ORDER BY symbol, bar_start").format(
        sql.Identifier(table)), (lo, hi))
    if df.empty:
        return 0, df
    cols = ["symbol", "open", "high", "low", "close", "volume"]
    new_run = (df[cols] != df[cols].shift()).any(axis=1)
    run_id = new_run.cumsum()
    runs = df.assign(run=run_id).groupby("run").agg(symbol=("symbol", "first"), first_bar=("bar_start", "first"),
                                                    last_bar=("bar_start", "last"), bars=("bar_start", "size"),
                                                    close=("close", "first"), volume=("volume", "first"))
    return len(df), runs[(runs["bars"] >= min_run) & (runs["volume"] > 0)].reset_index(drop=True)


def spike_check(asset_key: dg.CoercibleToAssetKey, kind: Literal["daily_close", "minute_volume"],
                partitions_def: dg.PartitionsDefinition | None = None, *, limit: float = PRICE_LIMIT,
                ratio: float = VOLUME_RATIO, dsn_fn: DsnFn = default_dsn) -> dg.AssetChecksDefinition:
    """`price_limit_30pct` (daily closes beyond ±30 % of the previous close) or `minute_volume_spike` (WARN)."""
    name = "price_limit_30pct" if kind == "daily_close" else "minute_volume_spike"

    @dg.asset_check(asset=asset_key, name=name, partitions_def=partitions_def, blocking=False,
                    description=spike_description(kind, ratio))
    def _spike(context) -> dg.AssetCheckResult:
        key = check_partition_key(context)
        checked, bad = (daily_close_moves(dsn_fn(), partition_day(key), limit) if kind == "daily_close"
                        else minute_volume_spikes(dsn_fn(), key, ratio))
        return flag_result(name, checked, bad)

    return _spike


def stale_feed_check(asset_key: dg.CoercibleToAssetKey, partitions_def: dg.PartitionsDefinition | None = None, *,
                     table: str = "minute_bars", min_run: int = STALE_RUN,
                     dsn_fn: DsnFn = default_dsn) -> dg.AssetChecksDefinition:
    """`stale_feed`: the same bar repeated `min_run`+ minutes in a row — the source froze and kept re-sending it."""

    @dg.asset_check(asset=asset_key, name="stale_feed", partitions_def=partitions_def, blocking=False,
                    description=stale_feed_description(table, min_run))
    def _stale(context) -> dg.AssetCheckResult:
        checked, bad = stale_runs(dsn_fn(), check_partition_key(context), table, min_run)
        return flag_result("stale_feed", checked, bad)

    return _stale


def spike_description(kind: Literal["daily_close", "minute_volume"], ratio: float = VOLUME_RATIO) -> str:
    return ("Daily close moved beyond the ±30 % KRX limit from the previous close (WARN)." if kind == "daily_close"
            else f"A minute's volume is above {ratio:g}x the day's median (WARN).")


def stale_feed_description(table: str = "minute_bars", min_run: int = STALE_RUN) -> str:
    return f"{table}: {min_run}+ consecutive identical bars (OHLC and volume) of one symbol."
