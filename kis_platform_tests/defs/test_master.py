"""trading_calendar and stock_master against the simulator over HTTP, into the embedded PostgreSQL."""

from __future__ import annotations

from datetime import date

import dagster as dg
import httpx
import psycopg

from kis_platform.defs.master.assets import stock_master, trading_calendar
from kis_platform.defs.partitions import SESSION_MINUTES, TRADING_DAYS
from kis_platform.defs.resources import build_resources

CALENDAR_CONFIG = {"ops": {"trading_calendar": {"config": {"history_days": 270, "minute_history_days": 3}}}}


def _calendar(instance: dg.DagsterInstance) -> dg.ExecuteInJobResult:
    return dg.materialize([trading_calendar], instance=instance, resources=build_resources(),
                          run_config=CALENDAR_CONFIG)


def test_calendar_registers_sessions_and_flags_the_short_notice_holiday(platform: str, instance, sim) -> None:
    result = _calendar(instance)
    assert result.success
    days = instance.get_dynamic_partitions(TRADING_DAYS.name)
    assert "2026-11-20" in days and "2026-06-02" in days and "2026-06-04" in days
    assert "2026-06-03" not in days  # the simulator's KIS holiday API says closed; XKRX does not know it
    assert "2026-11-21" not in days and "2026-11-22" not in days  # weekend
    check = [e for e in result.get_asset_check_evaluations() if e.check_name == "sources_agree"][0]
    assert not check.passed and check.severity == dg.AssetCheckSeverity.WARN
    assert "2026-06-03" in check.metadata["days"].value

    minutes = instance.get_dynamic_partitions(SESSION_MINUTES.name)
    csat = [k for k in minutes if k.startswith("2026-11-19-")]  # CSAT day: 10:00-16:30
    normal = [k for k in minutes if k.startswith("2026-11-20-")]
    assert (csat[0], csat[-1], len(csat)) == ("2026-11-19-10:00", "2026-11-19-16:30", 391)
    assert (normal[0], normal[-1], len(normal)) == ("2026-11-20-09:00", "2026-11-20-15:30", 391)

    with psycopg.connect(platform) as conn:
        row = conn.execute("SELECT is_open, kis_is_open, xkrx_is_open, sources_agree FROM trading_calendar "
                           "WHERE day = '2026-06-03'").fetchone()
        assert row == (False, False, True, False)
        late = conn.execute("SELECT open_at::time, close_at::time FROM trading_calendar WHERE day = '2026-11-19'")
        assert [(str(a), str(b)) for a, b in late] == [("01:00:00", "07:30:00")]  # 10:00-16:30 KST in UTC

    again = _calendar(instance)  # idempotent: same partitions, no duplicates
    assert again.success and instance.get_dynamic_partitions(TRADING_DAYS.name) == days


def _master(instance: dg.DagsterInstance, key: str) -> None:
    result = dg.materialize([stock_master], instance=instance, resources=build_resources(), partition_key=key)
    assert result.success


def test_stock_master_history_in_any_order(platform: str, instance, sim) -> None:
    assert _calendar(instance).success
    events = httpx.get(f"{sim.base_url}/__sim/events").json()
    move = events["market_moves"][0]
    rename = events["renames"][0]
    assert (move["date"], rename["date"]) == ("2026-07-01", "2026-03-03")
    before_rename = "2026-02-27"  # 2026-03-02 is the substitute holiday for 3·1 Day: not a partition
    # deliberately out of order: history must come out the same
    for key in ("2026-07-01", "2026-03-03", "2026-06-30", before_rename, "2026-07-01"):
        _master(instance, key)
    with psycopg.connect(platform) as conn:
        def as_of(d: str, symbol: str) -> tuple | None:
            return conn.execute("SELECT market, name FROM instruments_as_of(%s) WHERE symbol = %s", (d, symbol)).fetchone()

        assert as_of("2026-06-30", move["symbol"])[0] == move["from"]
        assert as_of("2026-07-01", move["symbol"])[0] == move["to"]
        assert as_of(before_rename, rename["symbol"])[1] == rename["old"]
        assert as_of("2026-03-02", rename["symbol"])[1] == rename["old"]
        assert as_of("2026-03-03", rename["symbol"])[1] == rename["new"]
        reasons = dict(conn.execute(
            "SELECT symbol || valid_from, change_reason FROM instrument_history WHERE symbol IN (%s, %s)",
            (move["symbol"], rename["symbol"])).fetchall())
        assert reasons[f"{move['symbol']}2026-07-01"] == "MARKET_MOVE"
        assert reasons[f"{rename['symbol']}2026-03-03"] == "RENAME"

        listed = {d: {r[0] for r in conn.execute("SELECT isin FROM instruments_as_of(%s)", (d,))}
                  for d in (before_rename, "2026-07-01")}
        snap = {d: {r[0] for r in conn.execute("SELECT isin FROM instrument_snapshots WHERE day = %s", (d,))}
                for d in (before_rename, "2026-07-01")}
        assert listed == snap  # the as-of query returns exactly the listed set of each day
        gone = snap[before_rename] - snap["2026-07-01"]
        new = snap["2026-07-01"] - snap[before_rename]
        assert gone and new  # the simulator delists and lists stocks over time
        isin = sorted(gone)[0]
        active, delisted = conn.execute("SELECT is_active, delisting_date FROM instruments WHERE isin = %s", (isin,)).fetchone()
        assert active is False and delisted is not None and date(2026, 2, 27) < delisted <= date(2026, 7, 1)
        assert conn.execute("SELECT count(*) FROM instrument_history WHERE isin = ANY(%s) AND change_reason = 'LISTING'",
                            (sorted(new),)).fetchone()[0] == len(new)
