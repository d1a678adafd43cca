"""One-minute bars of the watch list's stocks and of the front-month index futures, one partition per trading
minute of the KRX session, collected in one step: the futures are fetched in a thread beside the watch list."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

import dagster as dg
import pandas as pd

from kis_platform import clock
from kis_platform.calendar import session_bounds
from kis_platform.defs.intraday.futures import FUTURES_DESCRIPTION, collect_futures
from kis_platform.defs.intraday.keys import FUTURES_MINUTE_BARS, MINUTE_BARS
from kis_platform.defs.intraday.minute_checks import SOFT_CHECK_SPECS, soft_check_results
from kis_platform.defs.master.assets import trading_calendar
from kis_platform.defs.metadata import frame_metadata
from kis_platform.defs.partitions import SESSION_MINUTES, parse_minute_key
from kis_platform.defs.resources import MarketDatabase, Sources, SourceSession
from kis_platform.quality.expected import in_closing_call
from kis_platform.quality.guard import guarded_write, schema_check_spec
from kis_platform.schemas import FuturesMinuteBarSchema, MinuteBarSchema
from kis_platform.sources.kis.minutes import day_minutes, today_minutes

COLUMNS = ["symbol", "bar_start", "bar_end", "open", "high", "low", "close", "volume", "turnover_krw", "session",
           "trade_date", "is_final", "source", "fetched_at"]
MINUTE = timedelta(minutes=1)
FETCH_THREADS = 4


class MinuteBarsConfig(dg.Config):
    retry_for_s: float = 50.0  # keep asking for a late bar until this long after it closed (same minute)
    retry_every_s: float = 5.0

    @property
    def max_retries(self) -> int:
        # The count cap matters when the clock does not move (a fixed simulator clock) and for symbols or
        # contracts that simply had no trade in the minute.
        return int(self.retry_for_s // self.retry_every_s)


def fetch(src: SourceSession, symbol: str, bar: datetime, live: bool) -> pd.DataFrame:
    """Bars of `symbol` up to and including `bar`: one page back (30 today, 120 for a past day), so that every
    run also fills any earlier minute a previous run missed."""
    open_at = session_bounds(bar.date())[0]
    until = bar.strftime("%H%M00")
    if live:
        since = max(open_at, bar - timedelta(minutes=29)).strftime("%H%M00")
        return today_minutes(src.kis, symbol, until=until, since=since)
    since = max(open_at, bar - timedelta(minutes=119)).strftime("%H%M00")
    return day_minutes(src.kis, symbol, bar.date(), until=until, since=since)


def fetch_all(src: SourceSession, symbols: list[str], bar: datetime, live: bool) -> dict[str, pd.DataFrame]:
    """`fetch` for many symbols. The shared limiter sets the pace; a few threads keep its slots in use while
    earlier responses are still in flight."""
    with ThreadPoolExecutor(max_workers=FETCH_THREADS) as pool:
        return dict(zip(symbols, pool.map(lambda s: fetch(src, s, bar, live), symbols), strict=True))


def to_rows(df: pd.DataFrame, source: str, fetched_at: datetime) -> pd.DataFrame:
    """Client bars -> minute_bars rows. Per-bar turnover is the difference of the day's running total, so the
    oldest bar of a page (whose predecessor is unknown) is left to the run that fetched it with its predecessor,
    unless it is the session's first bar."""
    if df.empty:
        return pd.DataFrame(columns=COLUMNS)
    df = df.sort_values(["symbol", "bar_start"]).reset_index(drop=True)
    open_at = df["trade_date"].map(lambda d: session_bounds(d)[0])
    close_at = df["trade_date"].map(lambda d: session_bounds(d)[1])
    prev = df.groupby("symbol")["cum_turnover_krw"].shift()
    first_of_day = df["bar_start"] == pd.to_datetime(open_at).dt.tz_convert(df["bar_start"].dt.tz)
    turnover = (df["cum_turnover_krw"] - prev).where(prev.notna(), df["cum_turnover_krw"].where(first_of_day))
    out = df.assign(
        bar_end=df["bar_start"] + MINUTE, turnover_krw=turnover.astype("Int64"),
        session="krx_regular", is_final=True, source=source, fetched_at=fetched_at,
    )
    out.loc[out["bar_start"] == pd.to_datetime(close_at).dt.tz_convert(df["bar_start"].dt.tz), "session"] = "krx_close_auction"
    return out[out["turnover_krw"].notna() | first_of_day][COLUMNS]


def write_bars(database: MarketDatabase, table: str, rows: pd.DataFrame) -> int:
    """Upsert stock or futures minute bars (keyed by symbol and bar_start); returns the rows now stored.

    Every run refetches the minutes before its own (to fill earlier misses), and they come back with a new
    fetched_at and otherwise the same values: a stored bar keeps its row, fetched_at included (when these values
    were first fetched), unless a value changed. Rewriting them, and re-deriving their resampled bars, had been
    most of a minute run's write. An oldest bar fetched without its predecessor (turnover unknown) never wipes
    the turnover a previous run stored."""
    writer, key = database.writer(), ["symbol", "bar_start"]
    known = rows["turnover_krw"].notna()
    written = writer.upsert(table, rows[known], key, ignored_columns=["fetched_at"])
    keep = [c for c in rows.columns if c not in key and c != "turnover_krw"]
    return written + writer.upsert(table, rows[~known], key, update_columns=keep, ignored_columns=["fetched_at"])


def collect_watch_list(src: SourceSession, bar: datetime,
                       config: MinuteBarsConfig) -> tuple[pd.DataFrame, dict[str, Any], str | None]:
    """The watch list's bars for partition `bar` (and the minutes before it), their metadata, and a warning
    when some symbol's bar is still missing after the retries."""
    settings = src.settings
    clock.sleep_until(bar + MINUTE + timedelta(seconds=settings.minute_buffer_s), settings)
    src.retry_until(bar + MINUTE + timedelta(seconds=config.retry_for_s))
    live = clock.now(settings).date() == bar.date()
    # The closing-auction call has no trades: asking again for its bars only made those runs late (15:20-15:29
    # in bench session); the run still refreshes the minutes before.
    expected = not in_closing_call(bar)
    frames: dict[str, pd.DataFrame] = {}
    pending = list(settings.symbols)
    retries = 0
    while True:
        frames.update(fetch_all(src, pending, bar, live))
        pending = [s for s in pending if expected and not (frames[s]["bar_start"] == bar).any()]
        late = clock.now(settings) - (bar + MINUTE)
        if (not pending or not live or retries >= config.max_retries
                or late.total_seconds() + config.retry_every_s > config.retry_for_s):
            break
        retries += 1
        clock.sleep_until(clock.now(settings) + timedelta(seconds=config.retry_every_s), settings)
    fetched = pd.concat(frames.values(), ignore_index=True) if frames else pd.DataFrame()
    rows = to_rows(fetched, settings.source_tag, pd.Timestamp.now(tz="UTC"))
    warning = (f"{bar:%H:%M} bar missing after {retries} retries for {len(pending)} symbols: "
               f"{', '.join(pending[:10])} (no trades, or late: gap repair will ask again)") if pending else None
    meta = {**frame_metadata(rows[rows["bar_start"] == bar], symbol_column="symbol"), "rows_refreshed": len(rows),
            "missing_symbols": len(pending), "missing": ", ".join(pending) or "none", "late_retries": retries,
            "path": "FHKST03010200 (today)" if live else "FHKST03010230 (past day)", **src.stats()}
    return rows, meta, warning


WATCH_LIST_DESCRIPTION = """One-minute bars (KRW prices, shares, KRW turnover) of the watch list (KIS_SYMBOLS),
labelled by their start: partition 2026-11-20-09:05 holds the bar of 09:05:00–09:05:59. The run waits for the bar
to close plus a small buffer, never stores the bar that is still forming, asks again within the minute for a bar
the source has not published yet (none is expected in the closing-auction call, normally 15:20-15:29), and also
refreshes the preceding minutes so earlier misses are filled."""


@dg.multi_asset(
    specs=[
        dg.AssetSpec(MINUTE_BARS, group_name="intraday", kinds={"postgres"}, deps=[trading_calendar],
                     description=WATCH_LIST_DESCRIPTION),
        dg.AssetSpec(FUTURES_MINUTE_BARS, group_name="intraday", kinds={"postgres"}, deps=[trading_calendar],
                     description=FUTURES_DESCRIPTION),
    ],
    check_specs=[schema_check_spec(MINUTE_BARS, SESSION_MINUTES), *SOFT_CHECK_SPECS,
                 schema_check_spec(FUTURES_MINUTE_BARS)],
    can_subset=True,  # the after-close run and gap repair ask for the futures alone
    partitions_def=SESSION_MINUTES,
    pool="kis_api",
    op_tags={"dagster/max_runtime": 300},
)
def minute_and_futures_bars(context: dg.AssetExecutionContext, config: MinuteBarsConfig, database: MarketDatabase,
                            sources: Sources) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """The watch list's and the index futures' bars of one session minute, in one step. As two steps of the
    in-process minute run they ran one after the other, the futures (waiting for the close like the bars) in
    front of the watch list: 0.5-1.1 s of the minute's latency, and one more pool slot and step start per
    minute. A failure of one part is raised only after the other part is written."""
    bar = parse_minute_key(context.partition_key)
    selected = context.selected_asset_keys
    failures: list[Exception] = []
    with ThreadPoolExecutor(max_workers=1) as background:
        futures_part = (background.submit(_futures_in_own_session, sources, database, bar, config)
                        if FUTURES_MINUTE_BARS in selected else None)
        if MINUTE_BARS in selected:
            try:
                yield from _watch_list(context, bar, config, database, sources)
            except Exception as exc:  # noqa: BLE001 - re-raised below, once the futures are written
                failures.append(exc)
        if futures_part is not None:
            try:
                rows, meta, warning = futures_part.result()
                if warning:
                    context.log.warning(warning)
                yield from guarded_write(context, rows, FuturesMinuteBarSchema,
                                         lambda ok: write_bars(database, "futures_minute_bars", ok),
                                         dsn=database.dsn(), metadata=meta, asset_key=FUTURES_MINUTE_BARS)
            except Exception as exc:  # noqa: BLE001
                failures.append(exc)
    if len(failures) > 1:
        context.log.error(f"both parts failed; the futures part: {failures[1]}")
    if failures:
        raise failures[0]


def _futures_in_own_session(sources: Sources, database: MarketDatabase, bar: datetime,
                            config: MinuteBarsConfig) -> tuple[pd.DataFrame, dict[str, Any], str | None]:
    # A session of its own: its request counters become the futures' metadata, not mixed with the watch list's.
    with sources.session(database) as src:
        return collect_futures(src, bar, retry_for_s=config.retry_for_s, retry_every_s=config.retry_every_s,
                               max_retries=config.max_retries)


def _watch_list(context: dg.AssetExecutionContext, bar: datetime, config: MinuteBarsConfig, database: MarketDatabase,
                sources: Sources) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    with sources.session(database) as src:
        rows, meta, warning = collect_watch_list(src, bar, config)
        settings = src.settings
    if warning:
        context.log.warning(warning)

    def write(valid: pd.DataFrame) -> int:
        written = write_bars(database, "minute_bars", valid)
        meta["commit_latency_s"] = round((clock.now(settings) - (bar + MINUTE)).total_seconds(), 3)
        return written

    yield from guarded_write(context, rows, MinuteBarSchema, write, dsn=database.dsn(), metadata=meta,
                             asset_key=MINUTE_BARS)
    yield from soft_check_results(database.dsn(), context.partition_key, clock.now(settings))
