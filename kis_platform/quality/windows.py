"""Partition keys to time windows, so checks read only their partition, and the data sets the checks know."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kis_platform.calendar import KST


def partition_day(key: str) -> date:
    """Trading day of a day key (2025-03-04) or a minute key (2025-03-04-09:31)."""
    return date.fromisoformat(key[:10])


def partition_window(key: str) -> tuple[datetime, datetime]:
    """[start, end) in KST: the whole day for a day key, the minute for a minute key."""
    if len(key) > 10:
        start = datetime.strptime(key, "%Y-%m-%d-%H:%M").replace(tzinfo=KST)
        return start, start + timedelta(minutes=1)
    start = datetime.combine(partition_day(key), datetime.min.time(), KST)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class Dataset:
    """How to count a data set's rows for one day: its table, time column, what a 'symbol' is, extra filters."""

    name: str
    time_column: str
    symbol_sql: str = "symbol"
    count_sql: str = "count(*)"
    where: str = "true"
    date_column: bool = False  # time_column is a date (daily tables), not a timestamptz
    retention: timedelta | None = None  # how long the source keeps it; None = always re-fetchable
    stock: bool = True  # symbols are KRX short codes listed in the master


DATASETS: dict[str, Dataset] = {
    "minute_bars": Dataset("minute_bars", "bar_start", retention=timedelta(days=366)),
    # Assumed like stock minutes; KIS does not document the futures minute look-back.
    "futures_minute_bars": Dataset("futures_minute_bars", "bar_start", retention=timedelta(days=366), stock=False),
    # A missed option-board snapshot is gone: symbol = expiry_underlying, one row per snapshot minute.
    "option_chain_snapshots": Dataset("option_chain_snapshots", "snapshot_ts", symbol_sql="expiry || '_' || underlying",
                                      count_sql="count(DISTINCT snapshot_ts)", retention=timedelta(0), stock=False),
    "daily_bars": Dataset("daily_bars", "trade_date", count_sql="count(DISTINCT trade_date)", where="NOT adjusted",
                          date_column=True),
    "investor_flows": Dataset("investor_flows", "trade_date", count_sql="count(DISTINCT trade_date)",
                              where="NOT is_provisional", date_column=True),
}
