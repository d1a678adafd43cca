"""One-minute bars of the whole listed universe, collected by cycling through it (see cycle.py)."""

import dataclasses
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

import dagster as dg
import pandas as pd

from kis_platform import clock
from kis_platform.calendar import KST, session_bounds
from kis_platform.defs.intraday import cycle
from kis_platform.defs.intraday.assets import COLUMNS, fetch, to_rows, write_bars
from kis_platform.defs.master.assets import trading_calendar
from kis_platform.defs.metadata import frame_metadata
from kis_platform.defs.partitions import SESSION_MINUTES, parse_minute_key
from kis_platform.defs.resources import MarketDatabase, Sources, SourceSession
from kis_platform.quality.guard import guard, guarded_write, schema_check_spec
from kis_platform.schemas import MinuteBarSchema
from kis_platform.sources.errors import NotFound, SourceError
from kis_platform.sources.factory import kis_client
from kis_platform.sources.limiter import default_buckets

KEY = ["symbol", "bar_start"]
MINUTE = timedelta(minutes=1)
THREADS = 4  # enough to keep the shared limiter busy; the limiter, not the threads, bounds the rate


def day_universe(database: MarketDatabase, day: date, watch_list: Sequence[str]) -> dict[str, str]:
    """Symbol -> market of the stocks listed on `day` per the point-in-time master, minus the watch list.
    During the session this is the latest master (KRX publishes day D's at D+1 08:00)."""
    with database.connect() as conn:
        listed = conn.execute("SELECT symbol, market FROM instruments_as_of(%s)", (day,)).fetchall()
    skip = set(watch_list)
    return {s: m for s, m in sorted(listed) if s not in skip}


def final_rows(fetched: pd.DataFrame, source: str, fetched_at: datetime, now: datetime) -> pd.DataFrame:
    """minute_bars rows of the closed bars in `fetched` (the bar of `now`'s minute is still forming).

    to_rows leaves out each symbol's oldest bar of the page (its turnover needs the bar before it). For an
    illiquid stock that bar may be one no other visit sees, so it is kept here with turnover unknown (NULL);
    write_bars never lets such a row wipe a turnover already stored."""
    if fetched.empty:
        return pd.DataFrame(columns=COLUMNS)
    closed = fetched[fetched["bar_start"] + MINUTE <= now].reset_index(drop=True)
    rows = to_rows(closed, source, fetched_at)
    oldest = closed.sort_values(KEY).groupby("symbol").head(1)
    lost = oldest.merge(rows[KEY], on=KEY, how="left", indicator=True)
    lost = lost[lost["_merge"] == "left_only"].drop(columns="_merge")
    if lost.empty:
        return rows.reset_index(drop=True)
    # to_rows derives turnover from the previous bar: a stand-in a minute earlier with the same running total
    # gives the lost bar a row of the same layout, whose (meaningless) turnover is then cleared.
    stand_in = lost.assign(bar_start=lost["bar_start"] - MINUTE)
    extra = to_rows(pd.concat([stand_in, lost], ignore_index=True), source, fetched_at).merge(lost[KEY], on=KEY)
    extra["turnover_krw"] = pd.array([pd.NA] * len(extra), dtype="Int64")
    return pd.concat([rows, extra], ignore_index=True).sort_values(KEY).reset_index(drop=True)


def fetch_slice(src: SourceSession, symbols: Sequence[str], bar: datetime,
                live: bool) -> tuple[list[pd.DataFrame], dict[str, str], list[str], dict[str, Any]]:
    """Fetch `symbols` in THREADS threads: (frames, failures symbol -> error, not-found symbols, client stats).

    Each thread has its own client: the limiter's file lock and the breaker are per client, and two threads
    sharing one open lock file would not exclude each other."""
    lock, local, clients = threading.Lock(), threading.local(), []

    def land(record: Any) -> None:
        with lock:
            src.landing(record)

    def session() -> SourceSession:
        if not hasattr(local, "src"):
            client = kis_client(src.settings, on_response=land)
            with lock:
                clients.append(client)
            local.src = dataclasses.replace(src, kis=client)
        return local.src

    def one(symbol: str) -> tuple[str, pd.DataFrame | None, SourceError | None]:
        try:
            return symbol, fetch(session(), symbol, bar, live), None
        except SourceError as err:
            return symbol, None, err

    try:
        with ThreadPoolExecutor(max_workers=max(1, min(THREADS, len(symbols))), thread_name_prefix="universe") as pool:
            results = list(pool.map(one, symbols))
    finally:
        for client in clients:
            client.close()
    frames = [df for _, df, _ in results if df is not None]
    not_found = [s for s, _, err in results if isinstance(err, NotFound)]
    failed = {s: f"{type(err).__name__}: {err}"[:200] for s, _, err in results
              if err is not None and not isinstance(err, NotFound)}
    stats = {k: sum(c.stats.get(k, 0) for c in clients) for k in ("requests", "retries", "rate_limited")}
    stats["limiter_wait_s"] = round(sum(c.limiter.waited_s for c in clients if c.limiter), 3)
    return frames, failed, not_found, {f"kis_{k}": v for k, v in stats.items()}


def budget(settings: Any, universe_size: int, watch_size: int) -> dict[str, Any]:
    """Calls a minute this design needs against the shared KIS budget (the close minute aside)."""
    per_minute = cycle.slice_size(universe_size) + watch_size
    rate = default_buckets(settings.kis_env)["kis"].rate
    return {"calls_per_minute_universe": cycle.slice_size(universe_size), "calls_per_minute_with_watch_list": per_minute,
            "budget_share": round(per_minute / (rate * 60), 3)}


def _stored_today(database: MarketDatabase, symbols: Sequence[str], day: date) -> int:
    lo = datetime.combine(day, datetime.min.time(), KST)
    with database.connect() as conn:
        return conn.execute("SELECT count(DISTINCT symbol) FROM minute_bars WHERE symbol = ANY(%s) AND bar_start >= %s "
                            "AND bar_start < %s", (list(symbols), lo, lo + timedelta(days=1))).fetchone()[0]


@dg.asset(
    group_name="intraday",
    kinds={"postgres"},
    partitions_def=SESSION_MINUTES,
    deps=[trading_calendar],
    # A pool of its own: a late slice (the close sweep takes minutes) must not hold a kis_api slot that the next
    # minute's bars wait for (bench session --load in session 10: with one pool, a slice started 20-30 s after its
    # run's bars and bars steps took 8-19 s instead of about 4). The shared limiter still bounds
    # the request rate of all of them together.
    pool="kis_universe",
    # Priority -1: inside the minute run this step goes last, after the watch list and the option board
    # (a snapshot must be taken within its minute); the close minute's sweep takes minutes, not seconds.
    op_tags={"dagster/max_runtime": 300, "dagster/priority": "-1"},
    check_specs=[schema_check_spec("universe_minute_bars", SESSION_MINUTES)],
)
def universe_minute_bars(context: dg.AssetExecutionContext, database: MarketDatabase,
                         sources: Sources) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """One-minute bars of every listed KOSPI/KOSDAQ stock outside the watch list, in the same `minute_bars`
    table and row layout. Not every stock every minute: each minute fetches one slice of the day's universe
    (stock master as of that day), so each stock is fetched every 25 minutes with its last 30 bars, and the
    close minute fetches every stock. An analyst sees a stock's bars up to 25 minutes late during the session,
    complete after the close. Bars still forming are never stored. Metadata: the slice, symbols fetched, rows,
    and how much of today's universe has been visited so far."""
    bar = parse_minute_key(context.partition_key)
    index, last = cycle.minute_index(bar), cycle.close_index(bar)
    with sources.session(database) as src:
        settings = src.settings
        universe = day_universe(database, bar.date(), settings.symbols)
        symbols = cycle.cycle_slice(list(universe), index, last)
        clock.sleep_until(bar + MINUTE + timedelta(seconds=settings.minute_buffer_s), settings)
        now = clock.now(settings)
        live = now.date() == bar.date()
        frames, failed, not_found, stats = fetch_slice(src, symbols, bar, live)
    fetched = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    rows = final_rows(fetched, settings.source_tag, pd.Timestamp.now(tz="UTC"), now)
    if not universe:
        context.log.warning(f"the stock master lists no stocks for {bar.date()}: materialize stock_master first")
    window_start = max(session_bounds(bar.date())[0], bar - cycle.reach(live) * MINUTE)
    visited = len(universe) if index >= last else sum(
        len(cycle.cycle_slice(list(universe), j, last)) for j in range(min(index, cycle.CYCLE - 1) + 1))
    meta = {
        **frame_metadata(rows, time_column="bar_start", symbol_column="symbol"),
        "slice_index": "close sweep (all)" if index >= last else index % cycle.CYCLE,
        "minute_index": index, "cycle_minutes": cycle.CYCLE, "universe_size": len(universe),
        "symbols_fetched": len(symbols), "bars_stored": len(rows), "window_start": f"{window_start:%H:%M}",
        "turnover_unknown_rows": int(rows["turnover_krw"].isna().sum()) if len(rows) else 0,
        "visited_today": visited, "visited_today_share": round(visited / len(universe), 4) if universe else 0.0,
        "symbols_with_bars_today": _stored_today(database, list(universe), bar.date()) if universe else 0,
        "not_found": ", ".join(not_found) or "none",
        "path": "FHKST03010200 (today)" if live else "FHKST03010230 (past day)",
        **budget(settings, len(universe), len(settings.symbols)), **stats,
    }
    markets = {s: universe[s] for s in symbols}
    if failed:
        # Keep what was fetched (the quota is spent), but the minute does not count as visited: the step fails,
        # so the partition stays unmaterialized and the day audit asks for it again.
        checked = guard(rows, MinuteBarSchema, context.asset_key, partition_key=context.partition_key, markets=markets)
        if checked.passed:
            write_bars(database, "minute_bars", checked.valid_rows)
        raise dg.Failure(description=f"{len(failed)} of {len(symbols)} symbols failed: "
                                     + "; ".join(f"{s} {e}" for s, e in list(failed.items())[:5]),
                         metadata={"failed_symbols": ", ".join(failed), "rows_kept": len(rows) if checked.passed else 0})
    yield from guarded_write(context, rows, MinuteBarSchema, lambda ok: write_bars(database, "minute_bars", ok),
                             dsn=database.dsn(),
                             markets=markets, metadata=meta)
