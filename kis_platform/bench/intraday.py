"""`kis-platform bench intraday`: the real platform (`kis-platform up`: webserver, daemon, run queue) against the
simulator in real time for N consecutive session minutes.

The simulator's clock runs at real speed from a session instant (the machine's own date may be a weekend), and
the platform follows it (KIS_PLATFORM_CLOCK=simulator). Latency per minute = when the minute's own data was
committed with its checks recorded (the last success of the watch-list bars, their checks, the futures bars and
the option board) minus the bar's end; `run_end_*` is when the whole run finished (also the universe slice and
the option matrices). A minute counts as missed
when minute_bars has no successful materialization for it by the end.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timedelta

import dagster as dg

from kis_platform.bench._platform import Platform, percentile, running_platform
from kis_platform.calendar import KST


# The minute's own data: its watch-list and futures bars (one step, which also reports the bars' checks) and the
# option board. The run goes on with the universe slice (bars up to 30 minutes old, a background sweep) and the
# option matrices (derived).
CRITICAL_STEPS = ("option_chain_snapshots", "minute_and_futures_bars")


def _collect(platform: Platform, first: str, last: str, offset: timedelta) -> dict:
    """Read the runs of the minute job from Dagster's storage."""
    from kis_platform.defs.partitions import SESSION_MINUTES, parse_minute_key

    instance = platform.dagster_instance()
    expected = [k for k in instance.get_dynamic_partitions(SESSION_MINUTES.name) if first <= k <= last]
    done = instance.get_materialized_partitions(dg.AssetKey("minute_bars"))
    runs = instance.get_runs(dg.RunsFilter(job_name="intraday_minute_job", statuses=[dg.DagsterRunStatus.SUCCESS]))
    # A minute may have several runs (a repair, the after-close futures): each step counts at its first success.
    done_at: dict[str, dict[str, float]] = {}
    run_end: dict[str, float] = {}
    for run in runs:
        key = run.tags.get("dagster/partition")
        stats = instance.get_run_stats(run.run_id)
        if key not in expected or not stats.end_time:
            continue
        if "kis_platform/trigger" not in run.tags:  # the live runs; a repair's end is not the minute's
            run_end[key] = max(run_end.get(key, 0.0), stats.end_time)
        steps = done_at.setdefault(key, {})
        for event in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_SUCCESS):
            steps[event.step_key] = min(steps.get(event.step_key, event.timestamp), event.timestamp)
    latencies, run_ends = {}, {}
    for key, steps in done_at.items():
        bar_end_real = (parse_minute_key(key) + timedelta(minutes=1) - offset).timestamp()
        if key in run_end:
            run_ends[key] = run_end[key] - bar_end_real
        if all(step in steps for step in CRITICAL_STEPS):
            latencies[key] = max(steps[step] for step in CRITICAL_STEPS) - bar_end_real
    failed = instance.get_runs(dg.RunsFilter(job_name="intraday_minute_job", statuses=[dg.DagsterRunStatus.FAILURE]))
    lat, ends = list(latencies.values()), list(run_ends.values())
    return {
        "expected_partitions": len(expected), "missed_partitions": len([k for k in expected if k not in done]),
        "runs_succeeded": len(runs), "runs_failed": len(failed),
        "latency_p50_s": round(statistics.median(lat), 2) if lat else None,
        "latency_p95_s": round(percentile(lat, 0.95), 2) if lat else None,
        "latency_max_s": round(max(lat), 2) if lat else None,
        "run_end_p50_s": round(statistics.median(ends), 2) if ends else None,
        "run_end_p95_s": round(percentile(ends, 0.95), 2) if ends else None,
    }


def run(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="kis-platform bench intraday")
    parser.add_argument("--minutes", type=int, default=30, help="consecutive session minutes to run (default 30)")
    parser.add_argument("--start", default="2026-11-20T10:00:00+09:00", help="simulated session instant to start at")
    args = parser.parse_args(argv)

    warmup = timedelta(minutes=3)  # calendar registration and code-server start happen before the first minute
    sim_start = datetime.fromisoformat(args.start) - warmup
    with running_platform(["--clock", "accelerated", "--start", sim_start.isoformat(), "--speed", "1"],
                          "kis-bench-intraday-") as platform:
        now = platform.sim("GET", "clock")
        offset = datetime.fromisoformat(now["now"]) - datetime.now(KST)
        first = datetime.fromisoformat(args.start)
        last = first + timedelta(minutes=args.minutes - 1)
        print(f"platform up (UI http://127.0.0.1:{platform.ui_port}); simulated clock {now['now']}; measuring "
              f"{first:%H:%M}–{last:%H:%M} KST ({args.minutes} minutes, real time)", flush=True)
        end_real = last + timedelta(minutes=2, seconds=30) - offset
        while datetime.now(KST) < end_real:
            platform.check_alive()
            time.sleep(10)
        figures = _collect(platform, first.strftime("%Y-%m-%d-%H:%M"), last.strftime("%Y-%m-%d-%H:%M"), offset)
    figures.update(minutes=args.minutes, home=str(platform.home))
    print(f"minutes expected {figures['expected_partitions']}, missed {figures['missed_partitions']}, "
          f"runs ok {figures['runs_succeeded']}, failed {figures['runs_failed']}; latency bar end -> minute's rows and "
          f"checks: p50 {figures['latency_p50_s']} s, p95 {figures['latency_p95_s']} s, max {figures['latency_max_s']} s;"
          f" bar end -> run done: p50 {figures['run_end_p50_s']} s, p95 {figures['run_end_p95_s']} s")
    return figures
