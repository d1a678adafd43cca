"""Daily OHLCV: the whole market from KRX, the watch list from KIS (raw and adjusted), reconciled."""

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

import dagster as dg
import pandas as pd

from kis_platform import clock
from kis_platform.calendar import KST
from kis_platform.defs.daily.reconcile import RECONCILIATION, reconcile_days
from kis_platform.defs.master.assets import stock_master, trading_calendar
from kis_platform.defs.metadata import frame_metadata
from kis_platform.defs.partitions import TRADING_DAYS, parse_day_key
from kis_platform.defs.resources import MarketDatabase, Sources, SourceSession
from kis_platform.quality.guard import guarded_write, schema_check_spec
from kis_platform.schemas import DailyBarSchema
from kis_platform.sources.kis.daily import daily_bars as kis_daily_bars
from kis_platform.sources.krx.daily import stock_daily

COLUMNS = ["symbol", "trade_date", "source", "adjusted", "open", "high", "low", "close", "volume", "turnover_krw",
           "market_cap_krw", "listed_shares", "fetched_at"]


class DailyBarsConfig(dg.Config):
    sources: list[str] = ["KRX", "KIS"]  # the KIS schedule runs at 18:00 on D, the KRX one at D+1 08:00


def krx_published(day: date, now: datetime | None = None) -> bool:
    """KRX publishes day D at D+1 08:00 KST."""
    now = now or clock.now()
    return now >= datetime.combine(day + timedelta(days=1), time(8, 0), KST)


def _krx_frame(src: SourceSession, day: date) -> pd.DataFrame:
    df = pd.concat([stock_daily(src.krx, m, day) for m in ("KOSPI", "KOSDAQ")], ignore_index=True)
    df = df.assign(source=src.settings.krx_source_tag, adjusted=False, fetched_at=pd.Timestamp.now(tz="UTC"))
    return df[COLUMNS]


def _kis_frame(src: SourceSession, symbols: tuple[str, ...], start: date, end: date) -> pd.DataFrame:
    frames = []
    for symbol in symbols:
        for adjusted in (False, True):
            bars = kis_daily_bars(src.kis, symbol, start, end, adjusted=adjusted)
            frames.append(bars.assign(adjusted=adjusted))
    df = pd.concat(frames, ignore_index=True)
    df = df.assign(source=src.settings.source_tag, market_cap_krw=pd.NA, listed_shares=pd.NA,
                   fetched_at=pd.Timestamp.now(tz="UTC"))
    return df[COLUMNS]


@dg.asset(
    group_name="daily",
    kinds={"postgres"},
    partitions_def=TRADING_DAYS,
    deps=[trading_calendar, stock_master],
    backfill_policy=dg.BackfillPolicy.single_run(),
    check_specs=[schema_check_spec("daily_bars", TRADING_DAYS),
                 dg.AssetCheckSpec(RECONCILIATION, asset="daily_bars",
                                   description="KIS and KRX raw daily bars agree (OHLC within ±0.5 %, same volume) "
                                               "for at least 99.5 % of (symbol, day) pairs")],
    pool="kis_api",
)
def daily_bars(
    context: dg.AssetExecutionContext, config: DailyBarsConfig, database: MarketDatabase, sources: Sources
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """One row per stock, trading day, source and adjustment: open, high, low, close (KRW), volume (shares),
    turnover, market cap and listed shares. KRX gives the whole market (raw prices, one call per market and
    day); KIS gives the watch list both raw and split/dividend-adjusted. `source` says which; simulated rows
    say SIM. A backfill runs as one run, fetching each watch-list symbol's range in one paged call."""
    days = sorted(parse_day_key(k) for k in context.partition_keys)
    skipped: list[str] = []
    frames = []
    with sources.session(database) as src:
        kis_tag, krx_tag, symbols = src.settings.source_tag, src.settings.krx_source_tag, list(src.settings.symbols)
        if "KRX" in config.sources:
            for day in days:
                if not krx_published(day):
                    skipped.append(f"KRX {day}: published at {day + timedelta(days=1)} 08:00 KST")
                    continue
                frames.append(_krx_frame(src, day))
                context.log.info(f"KRX {day}: {len(frames[-1])} rows")
        if "KIS" in config.sources:
            df = _kis_frame(src, src.settings.symbols, days[0], days[-1])
            frames.append(df[df["trade_date"].isin(days)])
            context.log.info(f"KIS: {len(frames[-1])} rows for {len(symbols)} symbols")
        stats = src.stats()
    rows = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    krx_days = {d for d in days if krx_published(d)} if "KRX" in config.sources else set()

    def write(valid: pd.DataFrame) -> int:
        """Per day and source, so a backfill over non-adjacent days never touches the days between."""
        writer, written = database.writer(), 0
        for day in days:
            window = (day, day + timedelta(days=1))
            if day in krx_days:
                part = valid[(valid["trade_date"] == day) & (valid["source"] == krx_tag)]
                written += writer.replace_window("daily_bars", part, "trade_date", *window, {"source": krx_tag})
            if "KIS" in config.sources:
                part = valid[(valid["trade_date"] == day) & (valid["source"] == kis_tag)]
                written += writer.replace_window("daily_bars", part, "trade_date", *window,
                                                 {"source": kis_tag, "symbol": symbols})
        return written

    yield from guarded_write(context, rows, DailyBarSchema, write, dsn=database.dsn(), metadata={
        **frame_metadata(rows, time_column="trade_date", symbol_column="symbol"),
        **{f"rows_{tag.lower()}": int((rows["source"] == tag).sum()) for tag in (kis_tag, krx_tag)},
        "skipped": dg.MetadataValue.md("\n".join(f"- {s}" for s in skipped) or "none"), **stats,
    })
    yield reconcile_days(database, days, kis_tag, krx_tag, context.run.run_id)
