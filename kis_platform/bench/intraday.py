"""`kis-platform bench intraday`: the real platform (`kis-platform up`: webserver, daemon, run queue) against the
simulator in real time for N consecutive session minutes.

The simulator's clock runs at real speed from a session instant (the machine's own date may be a weekend), and
the platform follows it (KIS_PLATFORM_CLOCK=simulator). Latency per minute = when the minute job's run finished
(rows of every minute asset committed, their checks recorded) minus the bar's end. A minute counts as missed
when minute_bars has no successful materialization for it by the end.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from kis_platform.calendar import KST
from kis_platform.simulator.server import wait_ready
from kis_platform.storage.embedded import port_is_free

BIN = Path(sys.executable).parent


def _free(start: int) -> int:
    return next(p for p in range(start, start + 1000) if port_is_free(p))


def _wait_log(path: Path, text: str, proc: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if text in path.read_text(errors="replace"):
            return
        if proc.poll() is not None:
            raise RuntimeError(f"process exited: {path.read_text(errors='replace')[-2000:]}")
        time.sleep(1)
    raise TimeoutError(f"{text!r} not seen in {path} after {seconds} s")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def _collect(home: Path, pg_port: int, first: str, last: str, offset: timedelta) -> dict:
    """Read the runs of the minute job from Dagster's storage."""
    password = (home / "postgres" / "superuser.password").read_text().strip()
    os.environ["KIS_DAGSTER_PG_URL"] = f"postgresql+psycopg2://postgres:{password}@127.0.0.1:{pg_port}/kis_dagster"
    os.environ["DAGSTER_HOME"] = str(home / "dagster")
    import dagster as dg

    from kis_platform.defs.partitions import SESSION_MINUTES, parse_minute_key

    instance = dg.DagsterInstance.get()
    expected = [k for k in instance.get_dynamic_partitions(SESSION_MINUTES.name) if first <= k <= last]
    done = instance.get_materialized_partitions(dg.AssetKey("minute_bars"))
    runs = instance.get_runs(dg.RunsFilter(job_name="intraday_minute_job", statuses=[dg.DagsterRunStatus.SUCCESS]))
    latencies = {}
    for run in runs:
        key = run.tags.get("dagster/partition")
        stats = instance.get_run_stats(run.run_id)
        if key in expected and stats.end_time and key not in latencies:
            bar_end_real = parse_minute_key(key) + timedelta(minutes=1) - offset
            latencies[key] = stats.end_time - bar_end_real.timestamp()
    failed = instance.get_runs(dg.RunsFilter(job_name="intraday_minute_job", statuses=[dg.DagsterRunStatus.FAILURE]))
    lat = list(latencies.values())
    return {
        "expected_partitions": len(expected), "missed_partitions": len([k for k in expected if k not in done]),
        "runs_succeeded": len(runs), "runs_failed": len(failed),
        "latency_p50_s": round(statistics.median(lat), 2) if lat else None,
        "latency_p95_s": round(_percentile(lat, 0.95), 2) if lat else None,
        "latency_max_s": round(max(lat), 2) if lat else None,
    }


def run(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="kis-platform bench intraday")
    parser.add_argument("--minutes", type=int, default=30, help="consecutive session minutes to run (default 30)")
    parser.add_argument("--start", default="2026-11-20T10:00:00+09:00", help="simulated session instant to start at")
    args = parser.parse_args(argv)

    home = Path(tempfile.mkdtemp(prefix="kis-bench-intraday-"))
    ui, pg, sim_port = _free(3300), _free(56600), _free(18300)
    warmup = timedelta(minutes=3)  # calendar registration and code-server start happen before the first minute
    sim_start = datetime.fromisoformat(args.start) - warmup
    sim_log, up_log = home / "simulator.log", home / "up.log"
    sim = subprocess.Popen([str(BIN / "kis-platform"), "simulator", "--port", str(sim_port), "--clock", "accelerated",
                            "--start", sim_start.isoformat(), "--speed", "1"],
                           stdout=sim_log.open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{sim_port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KIS_", "DATABASE_URL", "DAGSTER_", "KRX_"))}
    env.update(KIS_ENV="sim", KIS_PLATFORM_CLOCK="simulator", KIS_PLATFORM_HOME=str(home), KIS_BASE_URL=base,
               KRX_BASE_URL=base, KIS_MASTER_URL=f"{base}/common/master", KIS_PLATFORM_UI_PORT=str(ui),
               KIS_PLATFORM_PG_PORT=str(pg), KIS_SIM_PORT=str(sim_port))
    up = None
    try:
        wait_ready(base)
        now = httpx.get(f"{base}/__sim/clock", timeout=5).json()
        offset = datetime.fromisoformat(now["now"]) - datetime.now(KST)
        up = subprocess.Popen([str(BIN / "kis-platform"), "up", "--no-simulator"], env=env, stdout=up_log.open("wb"),
                              stderr=subprocess.STDOUT)
        _wait_log(up_log, "Dagster UI:", up, 300)
        first = datetime.fromisoformat(args.start)
        last = first + timedelta(minutes=args.minutes - 1)
        print(f"platform up (UI http://127.0.0.1:{ui}); simulated clock {now['now']}; measuring "
              f"{first:%H:%M}–{last:%H:%M} KST ({args.minutes} minutes, real time)", flush=True)
        end_real = last + timedelta(minutes=2, seconds=30) - offset
        while datetime.now(KST) < end_real:
            if up.poll() is not None:
                raise RuntimeError(f"kis-platform up exited: {up_log.read_text()[-2000:]}")
            time.sleep(10)
        figures = _collect(home, pg, first.strftime("%Y-%m-%d-%H:%M"), last.strftime("%Y-%m-%d-%H:%M"), offset)
    finally:
        if up is not None and up.poll() is None:
            up.send_signal(signal.SIGINT)
            up.wait(timeout=120)
        sim.terminate()
        sim.wait(timeout=30)
    figures.update(minutes=args.minutes, home=str(home))
    print(f"minutes expected {figures['expected_partitions']}, missed {figures['missed_partitions']}, "
          f"runs ok {figures['runs_succeeded']}, failed {figures['runs_failed']}; latency bar end -> run done: "
          f"p50 {figures['latency_p50_s']} s, p95 {figures['latency_p95_s']} s, max {figures['latency_max_s']} s")
    return figures
