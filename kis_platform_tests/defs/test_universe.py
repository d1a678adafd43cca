"""universe_minute_bars: the 25-minute cycle over the listed universe, against the simulator on a fixed clock."""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, timedelta

import dagster as dg
import psycopg
import pytest

from kis_platform import calendar
from kis_platform.calendar import KST
from kis_platform.defs.intraday import cycle
from kis_platform.defs.intraday.universe import universe_minute_bars
from kis_platform.defs.partitions import SESSION_MINUTES, minute_key
from kis_platform.defs.resources import build_resources
from kis_platform.settings import get_settings

DAY = date(2026, 11, 20)


@pytest.mark.parametrize(("day", "size"), [(DAY, 2640), (date(2026, 11, 19), 2640), (date(2026, 1, 2), 7)])
def test_slices_cover_every_symbol_inside_the_window(day: date, size: int) -> None:
    universe = [f"{i:06d}" for i in range(size)]
    open_at = calendar.session_bounds(day)[0]
    last = cycle.close_index(open_at)
    slices = [cycle.cycle_slice(universe, i, last) for i in range(last + 1)]
    first_cycle = [s for sl in slices[: cycle.CYCLE] for s in sl]
    assert sorted(first_cycle) == universe  # each symbol once per cycle
    assert max(len(sl) for sl in slices[:-1]) == cycle.slice_size(size) == -(-size // 25)
    assert slices[-1] == universe  # the close minute sweeps everything
    visits_of: dict[str, list[int]] = {s: [] for s in universe}
    for i, sl in enumerate(slices):
        for s in sl:
            visits_of[s].append(i)
    for position, symbol in enumerate(universe):
        visits = visits_of[symbol]
        assert visits[0] <= cycle.LIVE_REACH  # the first page still reaches back to the open
        assert max(b - a for a, b in itertools.pairwise(visits)) <= cycle.LIVE_REACH  # no minute falls between pages
        assert visits[-1] == last
        assert all(cycle.visit_at_or_after(position, m, last) in visits for m in range(0, last + 1, 7))
    shuffled = random.Random(1).sample(universe, len(universe))
    assert [cycle.cycle_slice(shuffled, i, last) for i in range(last + 1)] == slices  # pure: order does not matter


@pytest.fixture
def small_universe(platform: str, sim, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A 52-stock universe (outside the watch list) in the stock master, and the simulator's clock fixed."""
    watch = set(get_settings().symbols)
    market = sim.state.market
    stocks = [s for s in market.u.stocks if s.code not in watch and market.u.listed_on(s, DAY)][:52]
    with psycopg.connect(platform) as conn:
        with conn.cursor().copy("COPY instrument_snapshots (day, isin, symbol, name, market, source, fetched_at) "
                                "FROM STDIN") as copy:
            for s in stocks:
                copy.write_row((DAY - timedelta(days=1), s.isin, s.code, market.u.name_on(s, DAY),
                                market.u.market_on(s, DAY), "SIM_KRX", datetime.now(KST)))
        conn.execute("SELECT rebuild_instrument_history()")
    monkeypatch.setenv("KIS_PLATFORM_CLOCK", "simulator")
    get_settings.cache_clear()
    instance.add_dynamic_partitions(SESSION_MINUTES.name, [minute_key(m) for m in calendar.minute_grid(DAY)])
    yield sorted(s.code for s in stocks)
    sim.set_clock("real")
    get_settings.cache_clear()


def _run(instance: dg.DagsterInstance, key: str) -> dg.ExecuteInJobResult:
    result = dg.materialize([universe_minute_bars], instance=instance, resources=build_resources(), partition_key=key)
    assert result.success
    return result


def _bars(dsn: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT symbol, bar_start, open, high, low, close, volume, turnover_krw, session "
                            "FROM minute_bars ORDER BY 1, 2").fetchall()


def test_a_minute_fetches_its_slice_and_a_rerun_the_same(small_universe: list[str], platform: str, instance,
                                                         sim) -> None:
    sim.set_clock("fixed", "2026-11-20T10:06:30+09:00")  # 10:05 closed, 10:06 forming
    result = _run(instance, "2026-11-20-10:05")
    expected = cycle.cycle_slice(small_universe, 65, 390)  # 10:05 is minute 65: slice 15
    rows = _bars(platform)
    assert sorted({r[0] for r in rows}) == expected and len(expected) == 2
    assert min(r[1] for r in rows) == datetime(2026, 11, 20, 9, 36, tzinfo=KST)  # the page: 30 bars back
    assert max(r[1] for r in rows) == datetime(2026, 11, 20, 10, 5, tzinfo=KST)
    meta = result.get_asset_materialization_events()[0].materialization.metadata
    assert meta["slice_index"].value == 15 and meta["symbols_fetched"].value == 2
    assert meta["universe_size"].value == 52 and meta["bars_stored"].value == len(rows)
    assert meta["calls_per_minute_universe"].value == 3 and meta["window_start"].value == "09:36"
    # the page's oldest bar has no predecessor on the page: kept, turnover unknown; every other bar has it
    assert [r[1].astimezone(KST).strftime("%H:%M") for r in rows if r[7] is None] == ["09:36", "09:36"]
    assert _run(instance, "2026-11-20-10:05") and _bars(platform) == rows  # rerun: same symbols, same rows

    forming = _run(instance, "2026-11-20-10:06")  # launched early on a clock that stands still
    assert forming.get_asset_materialization_events()[0].materialization.metadata["slice_index"].value == 16
    assert max(r[1] for r in _bars(platform)) == datetime(2026, 11, 20, 10, 5, tzinfo=KST)  # 10:06 not stored


def test_the_close_minute_sweeps_every_symbol(small_universe: list[str], platform: str, instance, sim) -> None:
    sim.set_clock("fixed", "2026-11-20T15:31:10+09:00")
    meta = _run(instance, "2026-11-20-15:30").get_asset_materialization_events()[0].materialization.metadata
    assert meta["slice_index"].value == "close sweep (all)" and meta["symbols_fetched"].value == 52
    with psycopg.connect(platform) as conn:
        close = conn.execute("SELECT symbol, session FROM minute_bars WHERE bar_start = '2026-11-20 15:30+09' "
                             "ORDER BY 1").fetchall()
    assert [s for s, _ in close] == small_universe and {s for _, s in close} == {"krx_close_auction"}
