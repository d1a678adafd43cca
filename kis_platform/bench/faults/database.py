"""Database faults on the live platform: the market database's server restarted in the middle of a write (a
minute_bars upsert, a daily_bars replace), and a connection killed in the middle of the COPY of a daily_bars
write. Each write is one transaction,
so the fault must leave the previous rows (none here) and the run must fail visibly; the partition is written again by
the daemon's run retry (daily) or the repair sensor (a minute: the minute job does not retry step failures)."""

from __future__ import annotations

from datetime import date

from kis_platform.bench.faults import pause
from kis_platform.bench.faults.evidence import _one_line, summarize
from kis_platform.bench.faults.live import MINUTE_JOB, LivePlatform
from kis_platform.bench.faults.reference import Reference
from kis_platform.bench.faults.tally import Tally, tally_days, tally_minutes

DAILY_JOB = "daily_kis_job"
DAILY_CONFIG = {"ops": {"daily_bars": {"config": {"sources": ["KIS"]}}}}  # the job's own (its 18:00 schedule's)
TIMEOUT = 900.0


def _finish(tally: Tally, lp: LivePlatform, job: str, keys: list[str], asset: str, what: str) -> Tally:
    failures, launches, repaired = summarize(lp, job, keys, asset)
    tally.unmaterialized = len(set(keys) - lp.materialized(asset, keys))
    tally.repaired_by = repaired
    tally.visible = f"{what}; " + (" | ".join(failures) or "NO RUN FAILED")
    tally.notes = launches
    return tally


def _first(gate: pause.Gate) -> tuple[int, str]:
    held = gate.wait(1, TIMEOUT)
    if not held:
        raise TimeoutError(f"no write to {gate.table} reached the gate within {TIMEOUT:.0f} s")
    return held[0]


def server_restart_mid_minute_write(lp: LivePlatform, ref: Reference, key: str) -> Tally:
    """The minute run for `key` is held at the gate on its first minute_bars row; the server restarts
    (immediate stop). The minute job leaves the failed minute to the repair sensor."""
    st = lp.stage
    with pause.gate(st.market_dsn, "minute_bars") as gate:
        lp.step_to(key)
        _pid, statement = _first(gate)
        st.market.restart()
    lp.wait_settled(MINUTE_JOB, [key], TIMEOUT)
    keys = lp.let_repair(key)
    tally = tally_minutes("server restarted during a minute write", "database", st.market_dsn,
                          ref.minute_bars(st.symbols, keys), st.symbols, keys)
    return _finish(tally, lp, MINUTE_JOB, keys, "minute_bars",
                   f"restarted while held in: {_one_line(statement)[:60]}")


def server_restart_mid_daily_write(lp: LivePlatform, ref: Reference, day: date) -> Tally:
    """daily_kis_job for `day` is held at the gate on its first daily_bars row; the server restarts."""
    st = lp.stage
    key = day.isoformat()
    with pause.gate(st.market_dsn, "daily_bars") as gate:
        lp.launch(DAILY_JOB, key, DAILY_CONFIG)
        _pid, statement = _first(gate)
        st.market.restart()
    lp.wait_settled(DAILY_JOB, [key], TIMEOUT)
    tally = tally_days("server restarted during a daily write", "database", st.market_dsn,
                       ref.daily_bars(st.symbols, [day]), st.symbols, [day])
    return _finish(tally, lp, DAILY_JOB, [key], "daily_bars",
                   f"restarted while held in: {_one_line(statement)[:60]}")


def connection_killed_mid_copy(lp: LivePlatform, ref: Reference, day: date) -> Tally:
    """daily_kis_job for `day` (empty window: DELETE + COPY straight into daily_bars) is held at the gate on its
    first COPY row; its backend is terminated."""
    st = lp.stage
    key = day.isoformat()
    with pause.gate(st.market_dsn, "daily_bars") as gate:
        lp.launch(DAILY_JOB, key, DAILY_CONFIG)
        pid, statement = _first(gate)
        gate.terminate(pid)
    lp.wait_settled(DAILY_JOB, [key], TIMEOUT)
    tally = tally_days("connection killed mid-COPY", "database", st.market_dsn,
                       ref.daily_bars(st.symbols, [day]), st.symbols, [day])
    return _finish(tally, lp, DAILY_JOB, [key], "daily_bars",
                   f"backend {pid} terminated in: {_one_line(statement)[:60]}")
