"""One-minute bars of the KOSPI200 and KOSDAQ150 front-month index futures, one partition per stock-session minute
(collected in the watch list's step: assets.py)."""

from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from kis_platform import calendar, clock
from kis_platform.defs.intraday.contracts import FrontMonth, front_months
from kis_platform.defs.metadata import frame_metadata
from kis_platform.defs.resources import SourceSession
from kis_platform.private_files import replace_file
from kis_platform.settings import Settings
from kis_platform.sources.kis.futures import futures_minutes
from kis_platform.sources.kis.master import fo_index_master

COLUMNS = ["symbol", "bar_start", "bar_end", "underlying", "expiry", "open", "high", "low", "close", "volume",
           "turnover_krw", "session", "trade_date", "is_final", "source", "fetched_at"]
MINUTE = timedelta(minutes=1)
REFRESH = timedelta(minutes=10)  # every run rewrites the minutes before its own, so an earlier miss is filled
TURNOVER_CONTEXT = timedelta(minutes=5)  # predecessors fetched so per-bar turnover (a running-total diff) is known
DRV_MARGIN = timedelta(minutes=15)  # index futures trade 15 minutes either side of the stock session
MASTER_COLUMNS = ["product_type", "short_code", "name", "month_class"]

FUTURES_DESCRIPTION = """One-minute bars of the KOSPI200 and KOSDAQ150 front-month futures (index points, contracts,
KRW turnover), labelled by bar start; `symbol` is the contract code, `expiry` its month. Partition 2026-11-20-10:04
is the bar of 10:04:00-10:04:59 and also refreshes the ten minutes before it; the session's first and last minutes
also own the futures-only minutes 08:45-08:59 and 15:31-15:45. The front month rolls to the next contract on the
expiring one's last trading day. A bar still forming is never stored; a bar the source has not published is asked
for again within the minute, else listed as missing."""


def cached_futures_master(settings: Settings, today: date) -> tuple[pd.DataFrame, bool]:
    """The index-futures rows of today's fo_idx_code_mts.mst, downloaded once per day and machine (the file
    changes at most daily and every minute's run is its own process). Returns (rows, came from the cache)."""
    path = settings.home / "cache" / f"fo_idx_futures_{settings.kis_env}_{today:%Y%m%d}.csv"
    if path.exists():
        try:
            cached = pd.read_csv(path, dtype="string", keep_default_na=False)
        except ValueError:  # empty or unparsable: pandas' parser errors and UnicodeDecodeError are ValueErrors
            cached = pd.DataFrame()
        if set(MASTER_COLUMNS) <= set(cached.columns):
            return cached, True
        # A file of another layout (an older version, or damaged on disk): download it again.
    master = fo_index_master(settings.kis_master_url)
    rows = master[master["product_type"] == "1"][MASTER_COLUMNS]
    replace_file(path, rows.to_csv(index=False))  # a concurrent run reads no file or the whole one
    return rows, False


def window(bar: datetime) -> tuple[datetime, datetime]:
    """First and last futures bar that partition `bar` writes: the 10 minutes before it and itself. The session's
    first minute also owns the pre-open futures bars (08:45-08:59), its last minute the post-close ones
    (15:31-15:45), which have no stock-session partition of their own."""
    open_at, close_at = calendar.session_bounds(bar.date())
    start = open_at - DRV_MARGIN if bar == open_at else max(open_at - DRV_MARGIN, bar - REFRESH)
    return start, close_at + DRV_MARGIN if bar == close_at else bar


def to_rows(df: pd.DataFrame, contract: FrontMonth, from_day_open: bool, source: str,
            fetched_at: datetime) -> pd.DataFrame:
    """Client bars (oldest first) -> futures_minute_bars rows; turnover is the running total's difference,
    unknown (NULL) for the oldest bar unless the fetch began at the day's open."""
    turnover = df["cum_turnover_krw"] - df["cum_turnover_krw"].shift()
    if from_day_open and len(df):
        turnover.iloc[0] = df["cum_turnover_krw"].iloc[0]
    out = df.assign(bar_end=df["bar_start"] + MINUTE, underlying=contract.underlying, expiry=contract.expiry,
                    turnover_krw=turnover.astype("Int64"), session="drv_day", is_final=True, source=source,
                    fetched_at=fetched_at)
    return out[COLUMNS]


def fetch(src: SourceSession, contract: FrontMonth, bar: datetime, now: datetime) -> tuple[pd.DataFrame, str]:
    """Final bars of `contract` in the window of partition `bar`, and whether `bar` itself is `ok`, had
    `no_trades` (the source already has a later bar) or is `missing` (not published yet, or still forming)."""
    start, end = window(bar)
    day_open = calendar.session_bounds(bar.date())[0] - DRV_MARGIN
    since = max(day_open, start - TURNOVER_CONTEXT)
    df = futures_minutes(src.kis, contract.symbol, bar.date(), since=since.strftime("%H%M00"),
                         until=(end + MINUTE).strftime("%H%M00"))  # one bar past: shows whether `bar` traded
    forming = now.replace(second=0, microsecond=0)
    final = df[df["bar_start"] < forming].reset_index(drop=True)
    rows = to_rows(final, contract, since <= day_open, src.settings.source_tag, now)
    rows = rows[(rows["bar_start"] >= start) & (rows["bar_start"] <= end)]
    status = "ok" if (rows["bar_start"] == bar).any() else "no_trades" if (df["bar_start"] > bar).any() else "missing"
    return rows, status


def unclosed(bar: datetime, end: datetime, now: datetime) -> int:
    """Minutes after `bar` up to `end` that had not closed at `now`: the post-close futures minutes the last
    partition of the day owns but cannot have yet when it runs right after 15:30 (a rerun after 15:46 fills them)."""
    first = max(bar + MINUTE, now.replace(second=0, microsecond=0))
    return max(0, int((end - first) / MINUTE) + 1)


def collect_futures(src: SourceSession, bar: datetime, *, retry_for_s: float, retry_every_s: float,
                    max_retries: int) -> tuple[pd.DataFrame, dict[str, Any], str | None]:
    """The front months' bars for partition `bar` (its window, see `window`), their metadata, and a warning when
    a contract's bar is still missing after the retries (asked for until `retry_for_s` after the close)."""
    settings = src.settings
    master, cached = cached_futures_master(settings, clock.now(settings).date())
    contracts = front_months(master, bar.date(), calendar.is_session)
    clock.sleep_until(bar + MINUTE + timedelta(seconds=settings.minute_buffer_s), settings)
    src.retry_until(bar + MINUTE + timedelta(seconds=retry_for_s))
    frames: dict[str, pd.DataFrame] = {}
    status: dict[str, str] = {}
    pending, retries = contracts, 0
    while True:
        now = clock.now(settings)
        for contract in pending:
            frames[contract.symbol], status[contract.symbol] = fetch(src, contract, bar, now)
        pending = [c for c in pending if status[c.symbol] == "missing"]
        late_s = (now - (bar + MINUTE)).total_seconds()
        if not pending or retries >= max_retries or late_s + retry_every_s > retry_for_s:
            break
        retries += 1
        clock.sleep_until(now + timedelta(seconds=retry_every_s), settings)
    rows = pd.concat(frames.values(), ignore_index=True)
    missing = [f"{c.underlying} {c.symbol} {bar:%H:%M}" for c in pending]
    warning = (f"not published after {retries} retries: {', '.join(missing)} (gap repair asks again)"
               if missing else None)
    metadata = {
        **frame_metadata(rows[rows["bar_start"] == bar], time_column="bar_start", symbol_column="symbol"),
        "contracts": ", ".join(f"{c.underlying} {c.symbol} ({c.expiry})" for c in contracts),
        "rows_refreshed": len(rows), "missing": ", ".join(missing) or "none",
        "no_trades": ", ".join(s for s, v in status.items() if v == "no_trades") or "none",
        "late_retries": retries, "master": "cached" if cached else "downloaded",
        "not_yet_closed": unclosed(bar, window(bar)[1], now),
        **src.stats(),
    }
    return rows, metadata, warning
