"""The report of `kis-platform bench session`: the database's minute data of a session against the simulator's own
answers (fetched again with the faults off), data set by data set."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, datetime, timedelta

import dagster as dg
import pandas as pd
import psycopg

from kis_platform.bench._platform import Platform
from kis_platform.calendar import minute_grid, session_bounds
from kis_platform.defs.partitions import minute_key

OHLCV = ["open", "high", "low", "close", "volume"]
DRV_MARGIN = timedelta(minutes=15)  # index futures trade 15 minutes before the stock open and after its close


def _settings(platform: Platform):
    from kis_platform.settings import get_settings

    os.environ.update(platform.market_env())
    get_settings.cache_clear()
    return get_settings()


def market_dsn(platform: Platform) -> str:
    """The DSN of the platform's market database."""
    from kis_platform.storage import database

    return database.market_dsn(_settings(platform))


def _futures_window(day: date, first: datetime, last: datetime) -> tuple[datetime, datetime]:
    open_at, close_at = session_bounds(day)
    return (first - DRV_MARGIN if first == open_at else first), (last + DRV_MARGIN if last == close_at else last)


def present_keys(platform: Platform, day: date, first: datetime, last: datetime) -> dict[str, set]:
    """Keys of the rows stored now, per data set (taken at the session's end, before repair)."""
    settings = _settings(platform)
    f_first, f_last = _futures_window(day, first, last)
    with psycopg.connect(market_dsn(platform)) as conn:
        bars = conn.execute("SELECT symbol, bar_start FROM minute_bars WHERE bar_start BETWEEN %s AND %s "
                            "AND symbol = ANY(%s)", (first, last, list(settings.symbols))).fetchall()
        futures = conn.execute("SELECT symbol, bar_start FROM futures_minute_bars WHERE bar_start BETWEEN %s AND %s",
                               (f_first, f_last)).fetchall()
        boards = conn.execute("SELECT DISTINCT snapshot_ts, expiry FROM option_chain_snapshots "
                              "WHERE snapshot_ts BETWEEN %s AND %s", (first, last)).fetchall()
        matrices = conn.execute('SELECT "timestamp", underlying_symbol, metric_type FROM option_matrices '
                                'WHERE "timestamp" BETWEEN %s AND %s', (first, last)).fetchall()
    return {"watch_list_bars": set(bars), "futures_bars": set(futures), "option_snapshots": set(boards),
            "option_matrices": set(matrices)}


def _reference_bars(platform: Platform, day: date, first: datetime, last: datetime) -> pd.DataFrame:
    """The simulator's watch-list bars of the session (faults off), as the past-day TR returns them."""
    from kis_platform.sources.factory import kis_client
    from kis_platform.sources.kis.minutes import day_minutes

    settings = _settings(platform)
    client = kis_client(settings)
    try:
        frames = [day_minutes(client, s, day, since=first.strftime("%H%M00"), until=last.strftime("%H%M00"))
                  for s in settings.symbols]
    finally:
        client.close()
    bars = pd.concat(frames, ignore_index=True)
    return bars[(bars["bar_start"] >= first) & (bars["bar_start"] <= last)]


def _reference_futures(platform: Platform, day: date, first: datetime, last: datetime) -> pd.DataFrame:
    from kis_platform import calendar
    from kis_platform.defs.intraday.contracts import front_months
    from kis_platform.defs.intraday.futures import cached_futures_master
    from kis_platform.sources.factory import kis_client
    from kis_platform.sources.kis.futures import futures_minutes

    settings = _settings(platform)
    f_first, f_last = _futures_window(day, first, last)
    master, _ = cached_futures_master(settings, day)
    client = kis_client(settings)
    try:
        frames = [futures_minutes(client, c.symbol, day, since=f_first.strftime("%H%M00"),
                                  until=f_last.strftime("%H%M00"))
                  for c in front_months(master, day, calendar.is_session)]
    finally:
        client.close()
    bars = pd.concat(frames, ignore_index=True)
    return bars[(bars["bar_start"] >= f_first) & (bars["bar_start"] <= f_last)]


def _utc(df: pd.DataFrame) -> pd.DataFrame:
    return df.assign(bar_start=pd.to_datetime(df["bar_start"], utc=True))


def _compare(reference: pd.DataFrame, stored: pd.DataFrame, key: list[str], at_close: set) -> dict:
    ref = _utc(reference).set_index(key)[OHLCV].astype(float)
    got = _utc(stored).set_index(key)[OHLCV].astype(float)
    at_close = {(s, pd.Timestamp(t).tz_convert("UTC")) for s, t in at_close}
    duplicated = int(got.index.duplicated().sum())
    ref, got = ref[~ref.index.duplicated()], got[~got.index.duplicated()]
    both = ref.index.intersection(got.index)
    different = int((ref.reindex(both) != got.reindex(both)).any(axis=1).sum())
    expected = set(ref.index)
    return {"expected": len(expected), "present_at_close": len(expected & at_close),
            "present": len(expected & set(got.index)), "missing": len(expected - set(got.index)),
            "duplicated": duplicated, "unexpected": len(set(got.index) - expected),
            "different": different, "missing_sample": sorted(str(k) for k in expected - set(got.index))[:10]}


def _stored(dsn: str, sql: str, params: tuple) -> pd.DataFrame:
    with psycopg.connect(dsn) as conn:
        cur = conn.execute(sql, params)
        return pd.DataFrame(cur.fetchall(), columns=[c.name for c in cur.description])


def daily_load_report(platform: Platform, instance: dg.DagsterInstance, launched: dict[str, str], day: date) -> dict:
    """How each daily run launched during the session ended (job -> run id in `launched`), and the daily_bars
    rows stored for `day` per source."""
    runs = {}
    for job, run_id in launched.items():
        run, stats = instance.get_run_by_id(run_id), instance.get_run_stats(run_id)
        runs[job] = {"status": run.status.value if run else "unknown",
                     "seconds": round(stats.end_time - stats.launch_time, 1)
                     if stats.end_time and stats.launch_time else None}
    rows = _stored(market_dsn(platform), "SELECT source, adjusted, count(*) AS n FROM daily_bars WHERE trade_date = %s "
                                   "GROUP BY 1, 2 ORDER BY 1, 2", (day,))
    return {"day": day.isoformat(), "runs": runs,
            "daily_bars": {f"{r.source}{' adjusted' if r.adjusted else ''}": int(r.n) for r in rows.itertuples()}}


def coverage_report(platform: Platform, instance: dg.DagsterInstance, day: date, first: datetime, last: datetime,
                    at_close: dict[str, set]) -> dict:
    """Expected, present (at the close and now), missing, duplicated and different rows per data set."""
    from kis_platform.defs.options.matrix import METRICS

    settings = _settings(platform)
    dsn = market_dsn(platform)
    f_first, f_last = _futures_window(day, first, last)
    bars = _stored(dsn, "SELECT symbol, bar_start, open, high, low, close, volume FROM minute_bars "
                        "WHERE bar_start BETWEEN %s AND %s AND symbol = ANY(%s)", (first, last, list(settings.symbols)))
    futures = _stored(dsn, "SELECT symbol, bar_start, open, high, low, close, volume FROM futures_minute_bars "
                           "WHERE bar_start BETWEEN %s AND %s", (f_first, f_last))
    report = {
        "watch_list_bars": _compare(_reference_bars(platform, day, first, last), bars, ["symbol", "bar_start"],
                                    at_close["watch_list_bars"]),
        "futures_bars": _compare(_reference_futures(platform, day, first, last), futures, ["symbol", "bar_start"],
                                 at_close["futures_bars"]),
    }
    minutes = [m for m in minute_grid(day) if first <= m <= last]
    boards = _stored(dsn, "SELECT snapshot_ts, expiry, count(*) AS n, count(DISTINCT (option_type, strike)) AS d "
                          "FROM option_chain_snapshots WHERE snapshot_ts BETWEEN %s AND %s GROUP BY 1, 2",
                     (first, last))
    captured = boards[boards["n"] > 0]
    report["option_snapshots"] = _minute_sets(
        expected=2 * len(minutes), present=len(captured), at_close=len(at_close["option_snapshots"]),
        duplicated=int((boards["n"] - boards["d"]).sum()) if len(boards) else 0,
        missing_minutes=sorted(f"{m:%H:%M}" for m in minutes
                               if (captured["snapshot_ts"] == m).sum() < 2) if len(captured) else [])
    matrices = _stored(dsn, 'SELECT count(*) AS n, count(DISTINCT ("timestamp", underlying_symbol, metric_type)) AS d '
                            'FROM option_matrices WHERE "timestamp" BETWEEN %s AND %s', (first, last))
    n, d = int(matrices["n"].iloc[0]), int(matrices["d"].iloc[0])
    report["option_matrices"] = _minute_sets(expected=2 * len(minutes) * len(METRICS), present=d,
                                             at_close=len(at_close["option_matrices"]), duplicated=n - d,
                                             missing_minutes=[])
    report["runs"] = _runs(instance)
    refetchable = ("watch_list_bars", "futures_bars")
    report["coverage"] = sum(report[k]["present"] for k in refetchable) / max(1, sum(
        report[k]["expected"] for k in refetchable))
    report["coverage_at_close"] = sum(report[k]["present_at_close"] for k in refetchable) / max(1, sum(
        report[k]["expected"] for k in refetchable))
    report["rows_missing"] = sum(report[k]["missing"] for k in report if isinstance(report[k], dict)
                                 and "missing" in report[k])
    report["rows_duplicated"] = sum(report[k]["duplicated"] for k in report if isinstance(report[k], dict)
                                    and "duplicated" in report[k])
    report["complete"] = report["rows_missing"] == 0 and report["rows_duplicated"] == 0 and all(
        report[k].get("different", 0) == 0 for k in refetchable)
    return report


def whole_market_bars(dsn: str, day: date, first: datetime, last: datetime, sim_args: list[str]) -> dict:
    """The whole market's minute bars of the session (every stock listed on `day`, the watch list included) in the
    database at `dsn` against the simulator's own model (bench faults' `Reference`, with the seed of `sim_args`): a
    million bars through the API would take longer than the report should. Also counts bars still marked forming.
    Takes a DSN rather than the platform so it can be run on a database kept from an earlier run."""
    from kis_platform.bench.faults.reference import Reference
    from kis_platform.simulator.cli import config_from_args, parser

    seed = config_from_args(parser(0).parse_args(sim_args)).seed
    listed = tuple(_stored(dsn, "SELECT symbol FROM instruments_as_of(%s)", (day,))["symbol"])
    keys = [minute_key(m) for m in minute_grid(day) if first <= m <= last]
    reference = Reference(seed).minute_bars(listed, keys).drop(columns="turnover_krw")
    stored = _stored(dsn, "SELECT symbol, bar_start, open, high, low, close, volume, is_final FROM minute_bars "
                          "WHERE bar_start BETWEEN %s AND %s", (first, last))
    report = _compare(reference, stored.drop(columns="is_final"), ["symbol", "bar_start"], set())
    del report["present_at_close"]  # the close's keys of a million bars are not kept
    return {**report, "symbols": len(listed), "forming": int((~stored["is_final"].astype(bool)).sum())}


def _minute_sets(expected: int, present: int, at_close: int, duplicated: int, missing_minutes: list[str]) -> dict:
    return {"expected": expected, "present_at_close": at_close, "present": present,
            "missing": max(0, expected - present), "duplicated": duplicated, "missing_sample": missing_minutes[:10]}


def _runs(instance: dg.DagsterInstance) -> dict:
    runs = instance.get_runs(dg.RunsFilter(job_name="intraday_minute_job"))
    return {"succeeded": sum(r.status == dg.DagsterRunStatus.SUCCESS for r in runs),
            "failed": sum(r.status == dg.DagsterRunStatus.FAILURE for r in runs),
            "repair": sum(r.tags.get("kis_platform/trigger") == "repair" for r in runs)}


def minute_lag(instance: dg.DagsterInstance, day: date, first: datetime, last: datetime,
               sim_at: Callable[[float], datetime]) -> dict:
    """How long after each bar closed (in simulated seconds) the minute's watch-list bars were first
    materialized; `sim_at` turns a real timestamp into the simulator's time. A minute counts as within the
    minute when that happened before the next bar closed."""
    from kis_platform.defs.partitions import minute_key

    minutes = [m for m in minute_grid(day) if first <= m <= last]
    keys = {minute_key(m): m for m in minutes}
    done: dict[str, float] = {}
    cursor = None
    while True:
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey("minute_bars"), asset_partitions=list(keys)),
            limit=1000, cursor=cursor, ascending=True)
        for record in page.records:
            key = record.partition_key
            if key in keys and key not in done:
                done[key] = (sim_at(record.timestamp) - keys[key] - timedelta(minutes=1)).total_seconds()
        if not page.has_more:
            break
        cursor = page.cursor
    lags = sorted(done.values())
    pick = lambda q: round(lags[min(len(lags) - 1, int(q * len(lags)))], 1) if lags else None
    return {"minutes": len(minutes), "materialized": len(lags), "within_the_minute": sum(v <= 60 for v in lags),
            "lag_p50_sim_s": pick(0.5), "lag_p95_sim_s": pick(0.95), "lag_max_sim_s": round(lags[-1], 1) if lags else None,
            "late_sample": sorted(k[-5:] for k, v in done.items() if v > 60)[:10]}
