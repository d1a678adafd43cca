"""Data that is valid row by row but suspicious — a frozen feed, a feed that stopped, spikes — is written and
flagged by WARN checks; the mirror sensor files each as an issue and marks the run PARTIAL."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import psycopg

from kis_platform.calendar import KST
from kis_platform.defs.quality.sensors import build_quality_mirror_sensor
from kis_platform.quality.checks import freshness_check
from kis_platform.quality.guard import guard
from kis_platform.quality.issues import QUALITY_TAG
from kis_platform.quality.spikes import spike_check, stale_feed_check
from kis_platform.schemas import MinuteBarSchema
from kis_platform.storage.writer import MarketWriter
from kis_platform_tests.quality import frames as F
from kis_platform_tests.quality.seed import write_minutes

DAYS = dg.StaticPartitionsDefinition([F.DAY.isoformat()])


def _run(instance: dg.DagsterInstance, name: str, *checks: dg.AssetChecksDefinition) -> dg.ExecuteInProcessResult:
    @dg.asset(name=name, partitions_def=DAYS)
    def _seeded() -> None:
        """Stands in for the real asset: the rows were seeded."""

    return dg.materialize([_seeded, *checks], instance=instance, partition_key=F.DAY.isoformat())


def _evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def test_stale_feed_and_volume_spike_are_flagged_not_blocked(market_db: str, instance: dg.DagsterInstance) -> None:
    bars = F.stale_feed(F.minute_bars(minutes=60), "000660", from_row=40)  # 20 identical bars
    bars.loc[10, "volume"] = 5_000_000  # one 005930 minute far above its median
    assert guard(bars, MinuteBarSchema, "minute_bars").passed  # each row is valid: the guard lets it through
    write_minutes(market_db, bars)
    dsn = lambda: market_db
    result = _run(instance, "minute_bars", stale_feed_check("minute_bars", DAYS, dsn_fn=dsn),
                  spike_check("minute_bars", "minute_volume", DAYS, dsn_fn=dsn))
    assert result.success  # WARN checks never fail the run
    ev = _evaluations(result)
    stale, spike = ev["stale_feed"], ev["minute_volume_spike"]
    assert not stale.passed and stale.severity == dg.AssetCheckSeverity.WARN
    assert stale.metadata["num_failures"].value == 1 and stale.metadata["symbols"].value == ["000660"]
    assert stale.metadata["rows_checked"].value == 120
    assert not spike.passed and spike.metadata["symbols"].value == ["005930"] and spike.metadata[
        "num_failures"].value == 1

    build_quality_mirror_sensor(lambda: market_db).evaluate_tick(dg.build_sensor_context(instance=instance))
    assert instance.get_run_by_id(result.run_id).tags[QUALITY_TAG] == "PARTIAL"
    with psycopg.connect(market_db) as conn:
        rows = conn.execute("SELECT rule, severity, partition_key, details->'symbols' FROM data_quality_issues "
                            "ORDER BY rule").fetchall()
    assert rows == [("minute_volume_spike", "WARN", "2025-03-04", ["005930"]),
                    ("stale_feed", "WARN", "2025-03-04", ["000660"])]


def test_minute_partitions_check_their_own_minute(market_db: str, instance: dg.DagsterInstance) -> None:
    """A minute partition's checks read that minute (spike, against the day's median) and the five minutes up to it
    (frozen feed), not the whole day: the check of 15:00 costs what the check of 09:05 costs."""
    bars = F.stale_feed(F.minute_bars(minutes=60), "000660", from_row=40)  # 09:40 onwards identical
    bars.loc[10, "volume"] = 5_000_000  # 005930 at 09:10
    write_minutes(market_db, bars)
    keys = ["2025-03-04-09:10", "2025-03-04-09:42", "2025-03-04-09:44"]
    minutes = dg.StaticPartitionsDefinition(keys)
    dsn = lambda: market_db

    @dg.asset(name="minute_bars", partitions_def=minutes)
    def _seeded() -> None:
        """Stands in for the real asset: the rows were seeded."""

    checks = [stale_feed_check("minute_bars", minutes, dsn_fn=dsn), spike_check("minute_bars", "minute_volume", minutes,
                                                                             dsn_fn=dsn)]
    ev = {k: _evaluations(dg.materialize([_seeded, *checks], instance=instance, partition_key=k)) for k in keys}
    assert not ev[keys[0]]["minute_volume_spike"].passed
    assert ev[keys[0]]["minute_volume_spike"].metadata["symbols"].value == ["005930"]
    assert ev[keys[0]]["minute_volume_spike"].metadata["rows_checked"].value == 2  # the minute's two bars
    assert all(ev[k]["minute_volume_spike"].passed for k in keys[1:])
    assert ev[keys[0]]["stale_feed"].passed and ev[keys[1]]["stale_feed"].passed  # 09:40-09:42: three bars only
    stale = ev[keys[2]]["stale_feed"]
    assert not stale.passed and stale.metadata["symbols"].value == ["000660"]
    assert stale.metadata["rows_checked"].value == 10  # 09:40-09:44 of two symbols


def test_clean_minutes_pass_the_warn_checks(market_db: str, instance: dg.DagsterInstance) -> None:
    write_minutes(market_db, F.minute_bars(minutes=60))
    dsn = lambda: market_db
    result = _run(instance, "minute_bars", stale_feed_check("minute_bars", DAYS, dsn_fn=dsn),
                  spike_check("minute_bars", "minute_volume", DAYS, dsn_fn=dsn))
    assert all(e.passed for e in result.get_asset_check_evaluations())


def test_feed_that_stopped_fails_freshness(market_db: str, instance: dg.DagsterInstance) -> None:
    write_minutes(market_db, F.minute_bars(minutes=60))  # 09:00-09:59, then nothing
    at = lambda h, m: (lambda: dt.datetime(2025, 3, 4, h, m, tzinfo=KST))
    fresh = freshness_check("minute_bars", dt.timedelta(minutes=3), partitions_def=DAYS, dsn_fn=lambda: market_db,
                            now_fn=at(10, 2))
    assert _evaluations(_run(instance, "minute_bars", fresh))["freshness"].passed
    stale = freshness_check("minute_bars", dt.timedelta(minutes=3), partitions_def=DAYS, dsn_fn=lambda: market_db,
                            now_fn=at(11, 0))
    ev = _evaluations(_run(instance, "minute_bars", stale))["freshness"]
    assert not ev.passed and ev.severity == dg.AssetCheckSeverity.WARN
    assert ev.metadata["lag_seconds"].value == 60 * 60 and ev.metadata["rows_checked"].value == 120


def test_daily_close_beyond_the_price_limit_is_flagged(market_db: str, instance: dg.DagsterInstance) -> None:
    prev, day = dt.date(2025, 2, 28), F.DAY  # 2025-03-03 was a holiday: the previous session is Friday
    daily = pd.concat([F.daily_bars([prev, day], "005930", closes=[50_000, 70_000]),
                       F.daily_bars([prev, day], "000660", closes=[50_000, 64_900])], ignore_index=True)
    MarketWriter(market_db).upsert("daily_bars", daily, ["symbol", "trade_date", "source", "adjusted"])
    result = _run(instance, "daily_bars", spike_check("daily_bars", "daily_close", DAYS, dsn_fn=lambda: market_db))
    ev = _evaluations(result)["price_limit_30pct"]
    assert not ev.passed and ev.metadata["symbols"].value == ["005930"] and ev.metadata["rows_checked"].value == 2
