"""Process faults on the live platform: a run worker killed with SIGKILL in the middle of its partition, the
same partition launched twice at once, and the daemon stopped for a stretch of the session and started again."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter
from datetime import date, timedelta

import dagster as dg

from kis_platform.bench.faults import pause
from kis_platform.bench.faults.database import (
    DAILY_CONFIG,
    DAILY_JOB,
    TIMEOUT,
    _finish,
    _first,
)
from kis_platform.bench.faults.evidence import how
from kis_platform.bench.faults.live import MINUTE_JOB, RESCUES, LivePlatform, wait_for
from kis_platform.bench.faults.reference import Reference
from kis_platform.bench.faults.tally import Tally, tally_days, tally_minutes
from kis_platform.defs.partitions import minute_key, parse_minute_key


def sigkill_mid_partition(lp: LivePlatform, ref: Reference, key: str) -> Tally:
    """The minute run for `key` is held at the gate on its first minute_bars row (transaction open, the
    partition's rows on their way); its run worker process gets SIGKILL."""
    st = lp.stage
    with pause.gate(st.market_dsn, "minute_bars") as gate:
        run = lp.step_to(key)
        _first(gate)
        pid = wait_for("run worker pid", lambda: lp.run_worker_pid(run.run_id), 60)
        os.kill(int(pid), signal.SIGKILL)
        wait_for("held write ended", lambda: not gate.held(), 60)
    lp.wait_settled(MINUTE_JOB, [key], TIMEOUT)
    tally = tally_minutes("run worker SIGKILL mid-partition", "process", st.market_dsn,
                          ref.minute_bars(st.symbols, [key]), st.symbols, [key])
    tally = _finish(tally, lp, MINUTE_JOB, [key], "minute_bars", f"SIGKILL to run worker pid {pid}")
    # The dead worker cannot give back its kis_api pool slot; the platform must, or two such deaths stop
    # every KIS step.
    try:
        wait_for("pool slots of the killed run freed", lambda: not lp.pool_slots_of(run.run_id), 180, every=5)
        tally.visible += "; its kis_api pool slot was freed"
    except TimeoutError:
        tally.broken = f"the killed run still holds {len(lp.pool_slots_of(run.run_id))} kis_api pool slot(s)"
    return tally


def launched_twice(lp: LivePlatform, ref: Reference, day: date) -> Tally:
    """daily_kis_job for `day` launched twice back to back; the gate holds each run's first daily_bars row until
    both runs are there, then lets them go together, so the two writes of the window really overlap (on a busy
    machine they would by chance)."""
    st = lp.stage
    key = day.isoformat()
    with pause.gate(st.market_dsn, "daily_bars") as gate:
        ids = [lp.launch(DAILY_JOB, key, DAILY_CONFIG) for _ in range(2)]
        together = len(gate.wait(2, TIMEOUT))
        gate.open()
        lp.wait_settled(DAILY_JOB, [key], TIMEOUT)
    tally = tally_days("same partition launched twice at once", "process", st.market_dsn,
                       ref.daily_bars(st.symbols, [day]), st.symbols, [day])
    tally = _finish(tally, lp, DAILY_JOB, [key], "daily_bars",
                    f"runs {', '.join(i[:8] for i in ids)}; {together} writes held together, then released")
    if together < 2:
        tally.broken = "the two writes never overlapped: the race was not exercised"
    runs = lp.runs(DAILY_JOB, key)
    failed = [r for r in runs if r.status == dg.DagsterRunStatus.FAILURE]
    retried = [r for r in runs if (r.tags.get("dagster/retry_number") or r.tags.get(RESCUES))
               and r.status == dg.DagsterRunStatus.SUCCESS]
    if not failed:
        tally.repaired_by = "none needed (both writes committed the same rows)"
    else:  # nothing was missing: the first write stood; the loser's failure is what a person sees
        tally.repaired_by = ("first write stood; the failed run's retry rewrote the same rows" if retried
                             else "first write stood; the failed run was not retried")
    tally.counters = {"runs_failed": len(failed), "retries_ok": len(retried), "held_together": together}
    return tally


def daemon_down(lp: LivePlatform, ref: Reference, first: str, down_minutes: int, speed: float,
                tail_minutes: int = 2) -> Tally:
    """The daemon is stopped (SIGTERM, as a service manager does) while the run of minute `first` is in the middle
    of its write; `down_minutes` session minutes then close with no daemon (the simulated clock runs fast
    meanwhile: nothing of the platform watches it); the daemon starts again and the session goes on at `speed`.
    Done when every minute from `first` to `tail_minutes` after the restart has been materialized."""
    st = lp.stage
    start = parse_minute_key(first)
    with pause.gate(st.market_dsn, "minute_bars") as gate:
        in_flight = lp.step_to(first)
        _first(gate)
        lp.stop_daemon()
    st.sim.accelerated(start + timedelta(minutes=1, seconds=5), 60.0)
    time.sleep(down_minutes)  # 60 simulated seconds per real second
    resume = start + timedelta(minutes=1 + down_minutes, seconds=5)
    st.sim.fixed(resume)
    lp.start_daemon()
    wait_for("daemon heartbeat after restart", lp.daemon_ready, TIMEOUT, every=2)
    st.sim.accelerated(resume, speed)
    last = start + timedelta(minutes=down_minutes + tail_minutes)
    keys = [minute_key(start + timedelta(minutes=i)) for i in range(int((last - start).total_seconds() // 60) + 1)]
    wait_for(f"minutes {keys[0]}…{keys[-1]} materialized", lambda: lp.materialized("minute_bars", keys) == set(keys),
             TIMEOUT * 2, every=5)
    st.sim.fixed(st.sim.now())
    lp.wait_idle(TIMEOUT)
    tally = tally_minutes(f"daemon stopped {down_minutes} min, restarted", "process", st.market_dsn,
                          ref.minute_bars(st.symbols, keys), st.symbols, keys)
    missed = keys[1:down_minutes + 1]
    in_flight_run = lp.instance.get_run_by_id(in_flight.run_id)  # type: ignore[union-attr]
    tally = _finish(tally, lp, MINUTE_JOB, keys, "minute_bars",
                    f"daemon stopped during {first[-5:]}'s write (that run: {in_flight_run.status.value}); "
                    f"{down_minutes} minutes ({missed[0][-5:]}–{missed[-1][-5:]}) closed while it was down")
    by = Counter(how(run) if (run := lp.materialized_by("minute_bars", k)) else "nothing" for k in missed)
    tally.repaired_by = ", ".join(f"{name} ×{n}" for name, n in by.most_common())
    tally.counters = {"missed": len(missed), "repair_sensor": by.get("repair sensor", 0),
                      "by_hand": sum(n for name, n in by.items() if "UI" in name)}
    return tally
