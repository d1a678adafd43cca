"""Reference data every analyst joins against: the trading calendar and the point-in-time stock master."""


from collections.abc import Iterator
from datetime import date, timedelta

import dagster as dg
import pandas as pd

from kis_platform import clock
from kis_platform.defs.master.calendar_store import calendar_rows, load_calendar, open_days
from kis_platform.defs.metadata import frame_metadata
from kis_platform.defs.partitions import SESSION_MINUTES, TRADING_DAYS, day_key, minute_key, parse_day_key, sync
from kis_platform.defs.resources import MarketDatabase, Sources
from kis_platform.sources.kis.holidays import holidays
from kis_platform.sources.kis.master import stock_master as kis_stock_master
from kis_platform.sources.krx.daily import stock_base_info

SOURCES_AGREE = "sources_agree"


class CalendarConfig(dg.Config):
    history_days: int = 400  # calendar rows and trading-day partitions kept back from today
    future_days: int = 60
    minute_history_days: int = 366  # minute partitions: the KIS past-minute look-back


def _stored_kis(database: MarketDatabase, start: date, end: date) -> dict[date, bool]:
    with database.connect() as conn:
        rows = conn.execute("SELECT day, kis_is_open FROM trading_calendar WHERE day BETWEEN %s AND %s "
                            "AND kis_is_open IS NOT NULL", (start, end))
        return {d: bool(o) for d, o in rows}


@dg.asset(
    group_name="reference",
    kinds={"postgres"},
    check_specs=[dg.AssetCheckSpec(SOURCES_AGREE, asset="trading_calendar",
                                   description="KIS holiday API and XKRX (exchange_calendars) agree on every day")],
    pool="kis_api",
)
def trading_calendar(
    context: dg.AssetExecutionContext, config: CalendarConfig, database: MarketDatabase, sources: Sources
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """KRX trading days and session hours (late opens included), from the KIS holiday API (CTCA0903R), which
    knows short-notice holidays, combined with the XKRX calendar. Every other partitioned asset takes its
    trading days and session minutes from here: materializing it registers them as partitions."""
    today = clock.now().date()
    start, end = today - timedelta(days=config.history_days), today + timedelta(days=config.future_days)
    stored = _stored_kis(database, start, end)
    weekdays = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    missing = [d for d in weekdays if d.weekday() < 5 and d not in stored and d <= today]
    fetch_from = min(missing) if missing else today  # KIS asks for about one call a day: fetch what is unknown
    with sources.session(database) as src:
        fetched = holidays(src.kis, fetch_from, end)
        source = src.settings.source_tag
        stats = src.stats()
    kis_open = {**stored, **dict(zip(fetched["day"], fetched["market_open"].astype(bool)))}
    rows = calendar_rows(weekdays, kis_open, source)
    database.writer().replace_window("trading_calendar", rows, "day", start, end + timedelta(days=1))

    with database.connect() as conn:
        cal = load_calendar(conn)
        days = open_days(conn, start, today)
    open_set = set(days)
    closed_now = {day_key(d) for d in weekdays if d <= today and d not in open_set}
    added_days, removed_days = sync(context.instance, TRADING_DAYS, [day_key(d) for d in days],
                                   lambda k: k in closed_now)
    minute_from = day_key(today - timedelta(days=config.minute_history_days))
    minute_keys = [minute_key(m) for d in days if day_key(d) >= minute_from for m in cal.minute_grid(d)]
    added_minutes, removed_minutes = sync(context.instance, SESSION_MINUTES, minute_keys,
                                          lambda k: k[:10] < minute_from or k[:10] in closed_now)

    disagree = rows[rows["kis_is_open"].notna() & (rows["kis_is_open"] != rows["xkrx_is_open"])]
    yield dg.AssetCheckResult(
        check_name=SOURCES_AGREE,
        passed=disagree.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"days_compared": int(rows["kis_is_open"].notna().sum()), "disagreements": len(disagree),
                  "days": dg.MetadataValue.md(disagree[["day", "kis_is_open", "xkrx_is_open", "special_reason"]]
                                              .to_markdown(index=False) if len(disagree) else "none")},
    )
    yield dg.MaterializeResult(metadata={
        **frame_metadata(rows, time_column="day"),
        "trading_days": len(days), "late_opens": int(rows["is_late_open"].sum()),
        "partitions_added": added_days, "partitions_removed": removed_days,
        "minute_partitions_added": added_minutes, "minute_partitions_removed": removed_minutes,
        "kis_fetched_from": str(fetch_from), **stats,
    })


def snapshot_frame(base: pd.DataFrame, master: pd.DataFrame, day: date, source: str) -> pd.DataFrame:
    """The listed universe on `day`: KRX base info, with index membership from the KIS master files."""
    sector_code = master.get("kospi200_sector", pd.Series("", index=master.index)).fillna("").str.strip()
    flags = master.assign(is_kospi200=~sector_code.isin(["", "0"]))[["isin", "is_kospi200", "is_kosdaq150", "is_kospi100", "is_kospi50", "is_krx300"]]
    out = base.merge(flags, on="isin", how="left")
    for col in ("is_kospi200", "is_kosdaq150", "is_kospi100", "is_kospi50", "is_krx300"):
        out[col] = out[col].astype("boolean").fillna(False).astype(bool)
    market = out["market"].str.upper()
    return pd.DataFrame({
        "day": day, "isin": out["isin"], "symbol": out["symbol"],
        "name": out["short_name"].where(out["short_name"].fillna("") != "", out["name"]),
        "name_en": out["english_name"], "market": market.where(market.isin(["KOSPI", "KOSDAQ", "KONEX"]),
                                                              market.str.extract(r"(KOSPI|KOSDAQ|KONEX)")[0]),
        "sector": out["section"].where(~out["section"].isin(["-", ""])), "security_group": out["security_group"],
        "listing_date": out["listing_date"], "listed_shares": out["listed_shares"],
        "par_value_krw": pd.to_numeric(out["par_value"], errors="coerce").astype("Int64"),
        "is_kospi200": out["is_kospi200"], "is_kosdaq150": out["is_kosdaq150"], "is_kospi100": out["is_kospi100"],
        "is_kospi50": out["is_kospi50"], "is_krx300": out["is_krx300"], "source": source,
        "fetched_at": pd.Timestamp.now(tz="UTC"),
    })


@dg.asset(
    group_name="reference",
    kinds={"postgres"},
    partitions_def=TRADING_DAYS,
    deps=[trading_calendar],
    pool="krx_api",
)
def stock_master(context: dg.AssetExecutionContext, database: MarketDatabase, sources: Sources) -> dg.MaterializeResult:
    """KOSPI and KOSDAQ stocks listed on the partition's trading day (ISIN as the stable key, alphanumeric short
    codes, sector, KOSPI200/KOSDAQ150 membership), and the point-in-time history built from every day's
    snapshot: `instrument_history` (valid_from/valid_to: listings, delistings, renames, market moves) and
    `instruments` (latest state, soft-deleted when delisted). "Listed on D" is `instruments_as_of(D)`."""
    day = parse_day_key(context.partition_key)
    with sources.session(database) as src:
        base = pd.concat([stock_base_info(src.krx, m, day) for m in ("KOSPI", "KOSDAQ")], ignore_index=True)
        if base.empty:
            raise dg.Failure(f"KRX base info for {day} is not published yet (KRX publishes day D at D+1 08:00 KST); "
                             "the KRX schedule materializes it then — rerun this partition after that")
        master = pd.concat([kis_stock_master(src.settings.kis_master_url, m) for m in ("KOSPI", "KOSDAQ")],
                           ignore_index=True)
        snapshot = snapshot_frame(base, master, day, src.settings.krx_source_tag)
        stats = src.stats()
    database.writer().replace_window("instrument_snapshots", snapshot, "day", day, day + timedelta(days=1))
    with database.connect() as conn:
        periods = conn.execute("SELECT rebuild_instrument_history()").fetchone()[0]
        changes = pd.DataFrame(conn.execute(
            "SELECT change_reason, symbol, name, market FROM instrument_history WHERE valid_from = %s "
            "AND change_reason <> 'FIRST_SEEN' UNION ALL SELECT 'DELISTING', symbol, name, market "
            "FROM instrument_history WHERE valid_to = %s AND isin NOT IN "
            "(SELECT isin FROM instrument_history WHERE valid_from = %s)", (day, day, day)).fetchall(),
            columns=["change", "symbol", "name", "market"])
        conn.commit()
    return dg.MaterializeResult(metadata={
        **frame_metadata(snapshot, symbol_column="symbol"),
        "kospi": int((snapshot["market"] == "KOSPI").sum()), "kosdaq": int((snapshot["market"] == "KOSDAQ").sum()),
        "history_periods": periods, "changes_on_day": len(changes),
        "changes": dg.MetadataValue.md(changes.to_markdown(index=False) if len(changes) else "none"),
        **stats,
    })
