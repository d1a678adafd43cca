"""`kis-platform bench session`: a whole KRX session against the simulator on an accelerated clock, with faults,
and the report of what ended up in the database.

The real platform (`kis-platform up`: webserver, daemon, run queue, sensors) follows the simulator's clock from
before the open to after the futures tail (15:45), at `--speed` simulated seconds per real second. Faults during
the session: `--error-rate` of KIS requests answered with a 5xx gateway error, three EGW00201 rate-limit bursts
(`--burst`: every KIS request refused for 30 market seconds by default) and one token expiry at set times. After
the session the platform's own repair (client retries, the repair sensor) is given `--repair-wait` real seconds;
then the report compares the database with the simulator's own answers, fetched again with the faults off: every
watch-list bar and front-month futures bar expected, present, missing, duplicated and different; every option-board
minute and expiry captured or not (the board is live only, so those cannot be repaired). Coverage at the
session's end, before repair, is reported too (the user's old target: 98 %).

`--load` is issue #9's load run instead: no faults, and on top of the minute runs the previous trading day's
daily data is launched during the session's first minutes, as a person would from the UI: the whole market from
KRX (`daily_krx_job`: stock master and daily bars) and the watch list from KIS (`daily_kis_job`: raw and adjusted
daily bars, investor flows). The KIS runs share the minute runs' rate budget and pool. The report then gives how
those runs ended and what they stored, next to how many minutes were materialized within their minute. Once the
stock master is stored the minute runs also cycle through the rest of the market, so a whole-session load run
also compares every listed stock's minute bars with the simulator's model (`whole_market_bars`). That row is not
counted in `complete`: the platform's own check of the universe is the day audit at 16:00, after the bench stops.
"""

from __future__ import annotations

import argparse
import time
from datetime import date, datetime, timedelta

import dagster as dg

from kis_platform.bench._platform import Platform, launch_job, running_platform
from kis_platform.bench._session_report import (coverage_report, daily_load_report, market_dsn, minute_lag,
                                                present_keys, whole_market_bars)
from kis_platform.calendar import KST, previous_session, session_bounds


def _burst(spec: str) -> tuple[str, dict]:
    """A rate-limit burst: "30s" refuses every KIS request for 30 seconds of market time, "40" the next 40
    requests. A count lasts longer in market time the faster the clock runs (the platform's request pace is real
    time: at 4× the same 40 refusals take four times as many market seconds), a duration does not."""
    if spec.endswith("s"):
        seconds = float(spec[:-1])
        return f"rate-limit burst (every KIS request refused for {seconds:g} market s)", {"egw00201_for_s": seconds}
    return f"rate-limit burst ({int(spec)} × EGW00201)", {"egw00201_burst": int(spec)}


def _events(first: datetime, last: datetime, burst: str = "30s") -> list[tuple[datetime, str, dict]]:
    """The faults fired during the session, at simulated instants spread over it."""
    span = last - first
    at = lambda share: first + span * share
    label, fault = _burst(burst)
    return [(at(0.15), label, fault),
            (at(0.40), "token expiry", {"expire_tokens": True}),
            (at(0.55), label, fault),
            (at(0.85), label, fault)]


def _daily_load(first: datetime) -> list[tuple[datetime, str]]:
    """The daily jobs `--load` launches, at simulated instants early in the session (both for the previous
    trading day, whose data is complete by then)."""
    return [(first + timedelta(minutes=2), "daily_krx_job"), (first + timedelta(minutes=4), "daily_kis_job")]


def _job_config(job: str) -> dict:
    """The job's own config (what its schedule and the launchpad use)."""
    from kis_platform.defs.daily.schedules import daily_kis_job, daily_krx_job

    return dict({"daily_kis_job": daily_kis_job, "daily_krx_job": daily_krx_job}[job].config or {})


def _sim_now(platform: Platform) -> datetime:
    return datetime.fromisoformat(platform.sim("GET", "clock")["now"]).astimezone(KST)


def _wait_for_minutes(instance: dg.DagsterInstance, day: date, seconds: float) -> None:
    """Until the trading-calendar asset has registered the day's session minutes."""
    from kis_platform.defs.partitions import SESSION_MINUTES

    key = f"{day:%Y-%m-%d}-09:00"
    deadline = time.monotonic() + seconds
    while not instance.has_dynamic_partition(SESSION_MINUTES.name, key):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the session minutes of {day} were not registered within {seconds:.0f} s")
        time.sleep(2)


def _idle(instance: dg.DagsterInstance) -> bool:
    busy = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
            dg.DagsterRunStatus.STARTED]
    return not instance.get_runs(dg.RunsFilter(statuses=busy), limit=1)


def _repaired(instance: dg.DagsterInstance, now: datetime) -> bool:
    from kis_platform.defs.intraday.schedules import repair_requests

    return not repair_requests(instance, now) and _idle(instance)


def run(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="kis-platform bench session")
    parser.add_argument("--day", default="2026-11-20", help="simulated trading day (default 2026-11-20)")
    parser.add_argument("--speed", type=float, default=6.0, help="simulated seconds per real second (default 6)")
    parser.add_argument("--first", default="09:00", help="first minute (default: the open)")
    parser.add_argument("--last", default=None, help="last minute (default: the close, 15:30)")
    parser.add_argument("--error-rate", type=float, default=0.05, help="share of requests answered 5xx (0.05)")
    parser.add_argument("--repair-wait", type=float, default=900, help="real seconds allowed for repair (900)")
    parser.add_argument("--burst", default="30s",
                        help="each of the three rate-limit bursts: 30s = every KIS request refused for 30 market "
                             "seconds (default), 40 = the next 40 requests (harsher the faster the clock)")
    parser.add_argument("--load", action="store_true",
                        help="issue #9's load run: no faults; the previous trading day's daily jobs (whole market "
                             "from KRX, watch list from KIS) launched in the session's first minutes")
    args = parser.parse_args(argv)
    if args.load:
        args.error_rate = 0.0

    day = date.fromisoformat(args.day)
    close_at = session_bounds(day)[1]
    first = datetime.combine(day, datetime.strptime(args.first, "%H:%M").time(), KST)
    last = datetime.combine(day, datetime.strptime(args.last, "%H:%M").time(), KST) if args.last else close_at
    # The futures tail (to 15:45) is collected 16 minutes after the close; run past it.
    stop_at = (close_at + timedelta(minutes=18)) if last == close_at else last + timedelta(minutes=2)
    events = [] if args.load else _events(first, last, args.burst)
    daily_jobs = _daily_load(first) if args.load else []
    launched: dict[str, str] = {}
    started = time.monotonic()
    sim_args = ["--clock", "fixed", "--start", (first - timedelta(minutes=5)).isoformat()]
    with running_platform(sim_args, "kis-bench-session-") as platform:
        instance = platform.dagster_instance()
        _wait_for_minutes(instance, day, 600)
        anchor_sim = first - timedelta(minutes=1)
        platform.sim("POST", "clock", {"mode": "accelerated", "now": anchor_sim.isoformat(), "speed": args.speed})
        anchor_real = time.time()
        platform.sim("POST", "faults", {"error_5xx_rate": args.error_rate})
        print(f"platform up (UI http://127.0.0.1:{platform.ui_port}); session {first:%H:%M}–{last:%H:%M} of {day} at "
              f"{args.speed:g}× with {args.error_rate:.0%} 5xx, {len(events)} scheduled faults", flush=True)
        fired = []
        while (now := _sim_now(platform)) < stop_at:
            platform.check_alive()
            while events and events[0][0] <= now:
                when, label, fault = events.pop(0)
                platform.sim("POST", "faults", fault)
                fired.append(f"{when:%H:%M} {label}")
                print(f"  {now:%H:%M:%S} fault: {label}", flush=True)
            while daily_jobs and daily_jobs[0][0] <= now:
                job = daily_jobs.pop(0)[1]
                launched[job] = launch_job(platform.ui_port, job, previous_session(day).isoformat(),
                                           _job_config(job))
                print(f"  {now:%H:%M:%S} launched {job} for {previous_session(day)} (run {launched[job][:8]})",
                      flush=True)
            time.sleep(1)
        session_end_real = time.monotonic()
        before_repair = present_keys(platform, day, first, last)
        deadline = time.monotonic() + args.repair_wait
        while not _repaired(instance, _sim_now(platform)) and time.monotonic() < deadline:
            platform.check_alive()
            time.sleep(5)
        repair_s = time.monotonic() - session_end_real
        platform.sim("POST", "faults/clear")
        stats = platform.sim("GET", "stats")
        report = coverage_report(platform, instance, day, first, last, before_repair)
        if args.load:
            report["daily_load"] = daily_load_report(platform, instance, launched, previous_session(day))
            if last == close_at:  # the universe is visited every 25 minutes; only the close's sweep completes it
                report["whole_market_bars"] = whole_market_bars(market_dsn(platform), day, first, last, sim_args)
        report["lag"] = minute_lag(instance, day, first, last,
                                   lambda ts: anchor_sim + timedelta(seconds=(ts - anchor_real) * args.speed))
    report.update(day=args.day, first=f"{first:%H:%M}", last=f"{last:%H:%M}", speed=args.speed, load=args.load,
                  error_rate=args.error_rate, faults_fired=fired, repair_s=round(repair_s),
                  wall_s=round(time.monotonic() - started), simulator_stats=stats, home=str(platform.home))
    _print(report)
    return report


def _print(report: dict) -> None:
    print(f"\nsession {report['day']} {report['first']}–{report['last']} at {report['speed']:g}×; faults: "
          f"{report['error_rate']:.0%} 5xx, {'; '.join(report['faults_fired']) or 'none fired'}")
    print(f"{'data set':<24}{'expected':>10}{'at close':>10}{'present':>10}{'missing':>9}{'dup':>6}{'differ':>8}")
    for name in ("watch_list_bars", "futures_bars", "option_snapshots", "option_matrices"):
        r = report[name]
        print(f"{name:<24}{r['expected']:>10}{r['present_at_close']:>10}{r['present']:>10}{r['missing']:>9}"
              f"{r['duplicated']:>6}{r.get('different', 0):>8}")
    if "whole_market_bars" in report:
        r = report["whole_market_bars"]
        print(f"{'whole_market_bars':<24}{r['expected']:>10}{'—':>10}{r['present']:>10}{r['missing']:>9}"
              f"{r['duplicated']:>6}{r['different']:>8}   ({r['symbols']:,} stocks; {r['unexpected']} unexpected, "
              f"{r['forming']} still forming)")
    runs = report["runs"]
    print(f"runs: {runs['succeeded']} succeeded, {runs['failed']} failed, {runs['repair']} repair runs; "
          f"repair took {report['repair_s']} s after the session")
    if "daily_load" in report:
        load = report["daily_load"]
        print(f"daily data of {load['day']} launched during the session: "
              + "; ".join(f"{job} {r['status']} in {r['seconds']} s" for job, r in load["runs"].items())
              + "; daily_bars rows " + ", ".join(f"{k} {v:,}" for k, v in load["daily_bars"].items()))
    lag = report["lag"]
    print(f"watch-list bars materialized within their minute (simulated clock): {lag['within_the_minute']} of "
          f"{lag['minutes']}; after the bar's close p50 {lag['lag_p50_sim_s']} s, p95 {lag['lag_p95_sim_s']} s, "
          f"max {lag['lag_max_sim_s']} s (simulated){'; late: ' + ', '.join(lag['late_sample']) if lag['late_sample'] else ''}")
    verdict = "every expected row present exactly once" if report["complete"] else "NOT complete: see missing"
    print(f"result: {verdict} (coverage at the close {report['coverage_at_close']:.2%}, after repair "
          f"{report['coverage']:.2%})")
