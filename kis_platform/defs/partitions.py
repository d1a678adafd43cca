"""Partitions of the platform: trading days and session minutes, both taken from the stored trading calendar.

Both are dynamic partition sets whose keys the `trading_calendar` asset registers from the calendar it stores
(KIS holiday API combined with XKRX), so holidays — including short-notice ones the calendar libraries miss — and
late opens never become partitions, and no code reload is needed when the calendar changes.

Why dynamic and not a time-window cron: a minute time-window definition over the KRX session (`* 9-15 * * 1-5`
plus exclusions) leaves Dagster's O(1) counting path, and with a year of history its partition-status query in
the UI ran for more than 300 s on this 2-core box; with the same year as dynamic keys it takes about 1.6 s warm
(measured; see docs/benchmarks.md). Minute keys are kept for the source's look-back window (KIS keeps about a
year of minute bars), which bounds the set near 100,000 keys; older minutes stay in the tables and in the
materialization history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta

import dagster as dg

from kis_platform.calendar import KST

TRADING_DAYS = dg.DynamicPartitionsDefinition(name="trading_days")
SESSION_MINUTES = dg.DynamicPartitionsDefinition(name="session_minutes")

DAY_FORMAT = "%Y-%m-%d"
MINUTE_FORMAT = "%Y-%m-%d-%H:%M"
MINUTE_RETENTION = timedelta(days=366)  # FHKST03010230 keeps about one year of minute bars


def day_key(d: date) -> str:
    return d.strftime(DAY_FORMAT)


def parse_day_key(key: str) -> date:
    return datetime.strptime(key, DAY_FORMAT).date()


def minute_key(bar_start: datetime) -> str:
    """Partition key of the minute bar starting at `bar_start` (KST wall time)."""
    return bar_start.astimezone(KST).strftime(MINUTE_FORMAT)


def parse_minute_key(key: str) -> datetime:
    """Aware KST start of the minute bar named by `key`."""
    return datetime.strptime(key, MINUTE_FORMAT).replace(tzinfo=KST)


def sync(instance: dg.DagsterInstance, partitions: dg.DynamicPartitionsDefinition, keys: Iterable[str],
         remove: Callable[[str], bool] = lambda _key: False) -> tuple[int, int]:
    """Register the `keys` not yet registered (in order, in batches: one large insert exceeds PostgreSQL's
    parameter limit) and delete registered keys for which `remove(key)` holds (a day found to be a holiday
    after all, minutes past the look-back). Reads the registered keys once. Returns (added, removed)."""
    wanted = list(keys)
    existing = set(instance.get_dynamic_partitions(partitions.name))
    new = [k for k in wanted if k not in existing]
    for i in range(0, len(new), 5000):
        instance.add_dynamic_partitions(partitions.name, new[i : i + 5000])
    keep = set(wanted)
    gone = [k for k in existing if k not in keep and remove(k)]
    for key in gone:
        instance.delete_dynamic_partition(partitions.name, key)
    return len(new), len(gone)
