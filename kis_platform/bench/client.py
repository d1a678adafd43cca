"""Client benchmark: 4 client processes share one rate budget against a simulator running in its own process.

`run(["--seconds", "30"])` starts the simulator, lets 4 processes call KIS endpoints as fast as the shared limiter
allows, and reports the achieved rate against the configured one ("rate_utilisation", target ≥ 0.9), the
simulator's count of rate-limit violations ("rate_violations", target 0) and of token issuances (target 1).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import socket
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from kis_platform.settings import DEFAULT_SYMBOLS, SIM_APP_KEY, SIM_APP_SECRET
from kis_platform.sources.errors import SourceError
from kis_platform.sources.kis import daily, flows
from kis_platform.sources.kis.client import KisClient
from kis_platform.sources.limiter import SharedLimiter, default_buckets


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def client_worker(base_url: str, state_dir: str, barrier: Any, seconds: float, out: str) -> None:
    """One client process: alternate single-call endpoints over the default symbols until the time is up."""
    limiter = SharedLimiter(Path(state_dir), default_buckets("sim"))
    client = KisClient(base_url, SIM_APP_KEY, SIM_APP_SECRET, state_dir=Path(state_dir), source_tag="SIM_KIS",
                       limiter=limiter)
    symbols = DEFAULT_SYMBOLS.split(",")
    errors: Counter[str] = Counter()
    calls = in_window = 0
    client.lease.token()  # the first process issues it, the others wait on the lease and reuse it
    barrier.wait()  # all processes imported and hold a token: measure the same window
    start_at = time.monotonic()
    while time.monotonic() < start_at + seconds:
        symbol = symbols[calls % len(symbols)]
        try:
            (daily.recent_daily if calls % 2 else flows.investor_flows)(client, symbol)
        except SourceError as exc:
            errors[type(exc).__name__] += 1
        if time.monotonic() <= start_at + seconds:  # a call still waiting for its slot at the end does not count
            in_window += 1
        calls += 1
    Path(out).write_text(json.dumps({"stats": client.stats, "errors": dict(errors), "in_window": in_window}))


def run(argv: list[str]) -> dict[str, Any]:
    """Run the benchmark; prints a report and returns its figures."""
    parser = argparse.ArgumentParser(prog="kis-platform bench client")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args(argv)
    from kis_platform.simulator.server import start_process, wait_ready

    port = _free_port()
    rate = default_buckets("sim")["kis"].rate
    with tempfile.TemporaryDirectory(prefix="kis-bench-") as tmp:
        sim = start_process(port)
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_ready(base_url)
            ctx = multiprocessing.get_context("spawn")
            barrier = ctx.Barrier(args.processes)
            outs = [str(Path(tmp) / f"w{i}.json") for i in range(args.processes)]
            procs = [ctx.Process(target=client_worker, args=(base_url, tmp, barrier, args.seconds, o)) for o in outs]
            for p in procs:
                p.start()
            for p in procs:
                p.join(args.seconds + 120)
            results = [json.loads(Path(o).read_text()) for o in outs if Path(o).exists()]
            sim_stats = httpx.get(f"{base_url}/__sim/stats", timeout=10).json()
        finally:
            _stop(sim)
    requests = sum(r["stats"]["requests"] for r in results)
    issued = sum(r["stats"]["token_issuances"] for r in results)
    errors: Counter[str] = Counter()
    for r in results:
        errors.update(r["errors"])
    quotation_requests = sum(r["in_window"] for r in results)  # one request per call (single-page endpoints)
    report = {
        "seconds": args.seconds,
        "processes": args.processes,
        "configured_rate": rate,
        "requests": requests,
        "achieved_rate": round(quotation_requests / args.seconds, 2),
        "rate_utilisation": round(quotation_requests / args.seconds / rate, 3),
        "rate_violations": sim_stats.get("rate_violations"),
        "token_issuances": sim_stats.get("token_issuances", issued),
        "client_token_issuances": issued,
        "retries": sum(r["stats"]["retries"] for r in results),
        "rate_limited": sum(r["stats"]["rate_limited"] for r in results),
        "errors": dict(errors),
        "workers_reporting": len(results),
        "sim_requests": sim_stats.get("requests"),
    }
    print(f"client bench: {args.processes} processes for {args.seconds:g} s against the simulator")
    print(f"  requests {requests} → {report['achieved_rate']}/s of {rate:g}/s configured "
          f"(utilisation {report['rate_utilisation']:.1%}, target ≥ 90%)")
    print(f"  simulator: rate violations {report['rate_violations']} (target 0), "
          f"token issuances {report['token_issuances']} (target 1)")
    print(f"  retries {report['retries']}, rate limited {report['rate_limited']}, errors {report['errors'] or 'none'}")
    return report


def _stop(sim: subprocess.Popen) -> None:
    sim.terminate()
    try:
        sim.wait(10)
    except subprocess.TimeoutExpired:
        sim.kill()
        sim.wait(10)
