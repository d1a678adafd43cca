"""`kis-platform status`: one screen saying, for every asset, how fresh and how complete it is.

Per asset of the code location: when it was last materialized (KST) and which partition, how long ago
(freshness), the latest day's completeness from the `completeness` table (present / expected rows), and the
status of the last run that targeted it. Reads the Dagster instance ($DAGSTER_HOME) and the market database;
starts nothing.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import dagster as dg
import psycopg

KST = ZoneInfo("Asia/Seoul")
NOT_RUNNING = "the platform is not running ({why}); start it with `kis-platform up` (or `make up`)"

_COMPLETENESS = """
WITH latest AS (SELECT dataset, max(trade_date) AS day FROM completeness GROUP BY dataset)
SELECT c.dataset, l.day,
       COALESCE(max(c.present_rows) FILTER (WHERE c.symbol = '*'), sum(c.present_rows) FILTER (WHERE c.symbol <> '*')),
       COALESCE(max(c.expected_rows) FILTER (WHERE c.symbol = '*'), sum(c.expected_rows) FILTER (WHERE c.symbol <> '*'))
FROM completeness c JOIN latest l ON l.dataset = c.dataset AND l.day = c.trade_date
GROUP BY c.dataset, l.day
"""


@dataclass
class AssetStatus:
    asset: str
    last_at: dt.datetime | None
    partition: str | None
    completeness: str
    last_run: str


def age(then: dt.datetime | None, now: dt.datetime) -> str:
    if then is None:
        return "never"
    seconds = max((now - then).total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def completeness_by_dataset(market_dsn: str) -> dict[str, str]:
    with psycopg.connect(market_dsn, connect_timeout=5) as conn:
        rows = conn.execute(_COMPLETENESS).fetchall()
    return {name: f"{present / expected:.1%} of {day:%m-%d}" if expected else f"- ({day:%m-%d})"
            for name, day, present, expected in rows}


def collect(instance: dg.DagsterInstance, asset_keys: Iterable[dg.AssetKey],
            completeness: dict[str, str]) -> list[AssetStatus]:
    keys = sorted(asset_keys, key=lambda k: k.to_user_string())
    records = {r.asset_entry.asset_key: r.asset_entry for r in instance.get_asset_records(keys)}
    out = []
    for key in keys:
        entry = records.get(key)
        event = entry.last_materialization if entry else None
        run = instance.get_run_by_id(entry.last_run_id) if entry and entry.last_run_id else None
        out.append(AssetStatus(
            asset=key.to_user_string(),
            last_at=dt.datetime.fromtimestamp(event.timestamp, KST) if event else None,
            partition=event.dagster_event.partition if event and event.dagster_event else None,
            completeness=completeness.get(key.path[-1], "-"),
            last_run=run.status.value if run else "-"))
    return out


def render(rows: list[AssetStatus], now: dt.datetime) -> str:
    head = ("asset", "last materialized (KST)", "partition", "age", "completeness", "last run")
    body = [(r.asset, f"{r.last_at:%Y-%m-%d %H:%M:%S}" if r.last_at else "never", r.partition or "-",
             age(r.last_at, now), r.completeness, r.last_run) for r in rows]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)).rstrip() for line in (head, *body)]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join([f"kis_platform status at {now.astimezone(KST):%Y-%m-%d %H:%M:%S} KST", *lines])


def platform_status() -> tuple[bool, str]:
    """(ok, text): the status screen, or one line saying the platform is not up and how to start it."""
    from kis_platform.settings import get_settings
    from kis_platform.storage.database import (DatabaseError, check_connection, dagster_dsn, dagster_storage_url,
                                               market_dsn)

    settings = get_settings()
    if not (settings.dagster_home / "dagster.yaml").exists():
        return False, NOT_RUNNING.format(why=f"no Dagster instance at {settings.dagster_home}")
    try:
        check_connection(market_dsn(settings), "the market database")
        check_connection(dagster_dsn(settings), "Dagster's database")
    except DatabaseError as exc:
        return False, NOT_RUNNING.format(why=str(exc))
    except OSError:  # the embedded server was never initialised: no password file yet
        return False, NOT_RUNNING.format(why=f"no database under {settings.home}")
    os.environ.setdefault("KIS_DAGSTER_PG_URL", dagster_storage_url(dagster_dsn(settings)))
    from kis_platform.definitions import defs

    keys = defs.resolve_asset_graph().get_all_asset_keys()
    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        rows = collect(instance, keys, completeness_by_dataset(market_dsn(settings)))
    return True, render(rows, dt.datetime.now(KST))
