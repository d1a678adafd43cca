"""Source faults: the simulator misbehaves while minute_bars partitions run (Dagster runs executed in this
process, against the stage's simulator and market database). The platform's repair here is inside the run: the
client's retries with backoff, its timeouts, the page walk that does not trust a short page, and the token lease
that re-issues a refused token. Faults a run cannot absorb are the live family's (run retries)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import dagster as dg
import pandas as pd

from kis_platform.bench.faults.reference import Reference
from kis_platform.bench.faults.stage import Stage, platform_env
from kis_platform.bench.faults.tally import Tally, compare, minute_rows
from kis_platform.defs.partitions import SESSION_MINUTES, minute_key, parse_minute_key


@dataclass(frozen=True)
class SourceScenario:
    name: str
    faults: dict[str, Any]  # simulator faults while the partitions run
    mid_run: dict[str, Any] = field(default_factory=dict)  # posted once the first run has made `after` requests
    after: int = 0
    expect_fault: str = ""  # the simulator's fault counter that proves the fault fired
    evidence: str = "retries"  # what the platform itself records: "retries", "token", "requests" or "" (slower only)
    app_key: str = ""  # run under this app key (its token issued ahead by `warm_tokens`)


# A token re-issue waits until a minute after the key's previous issuance (KIS's rule). In production a token
# that expires or is revoked is hours old; the token scenarios use their own app keys, issued at the start, to be
# the same here instead of waiting a minute.
EXPIRY_KEY, REVOKE_KEY = "PSFAULTEXPIRY" + "0" * 23, "PSFAULTREVOKE" + "0" * 23
SCENARIOS = [
    SourceScenario("EGW00201 burst", {"egw00201_burst": 3}, expect_fault="egw00201"),
    SourceScenario("EGW00201 rate 20 %", {"egw00201_rate": 0.2}, expect_fault="egw00201"),
    SourceScenario("HTTP 502/503", {"error_5xx_rate": 0.2}, expect_fault="error_5xx"),
    SourceScenario("slow responses (0.5 s)", {"delay_seconds": 0.5}, expect_fault="delay", evidence=""),
    SourceScenario("hanging responses", {"hang_rate": 0.15, "hang_seconds": 30}, expect_fault="hang"),
    SourceScenario("malformed JSON", {"malformed_json_rate": 0.2}, expect_fault="malformed_json"),
    SourceScenario("truncated pages", {"truncated_page_rate": 0.5}, expect_fault="truncated_page",
                   evidence="requests"),
    # Slow answers keep the run busy long enough for the token to go bad while it is fetching.
    SourceScenario("token expiry mid-run", {"delay_seconds": 0.3}, {"expire_tokens": True}, after=2,
                   expect_fault="expire_tokens", evidence="token", app_key=EXPIRY_KEY),
    SourceScenario("token revoked mid-run", {"delay_seconds": 0.3}, {"revoke_tokens": True}, after=2,
                   expect_fault="revoke_tokens", evidence="token", app_key=REVOKE_KEY),
]


def scenario_env(st: Stage, sc: SourceScenario) -> dict[str, str]:
    if not sc.app_key:
        return st.env
    from kis_platform.settings import SIM_APP_SECRET

    return {**st.env, "KIS_APP_KEY": sc.app_key, "KIS_APP_SECRET": SIM_APP_SECRET}


def warm_tokens(st: Stage) -> None:
    """Issue the token of every scenario that has its own app key (through the platform's token lease)."""
    from kis_platform.settings import get_settings
    from kis_platform.sources.factory import kis_client

    for sc in SCENARIOS:
        if sc.app_key:
            with platform_env(scenario_env(st, sc)), kis_client(get_settings()) as client:
                client.lease.token()


@dataclass
class RunOutcome:
    key: str
    success: bool
    error: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    rows: pd.DataFrame | None = None  # the partition's rows right after its own run


def _materialize(instance: dg.DagsterInstance, key: str) -> RunOutcome:
    from kis_platform.defs.intraday.assets import minute_and_futures_bars
    from kis_platform.defs.intraday.keys import MINUTE_BARS
    from kis_platform.defs.resources import build_resources

    result = dg.materialize([minute_and_futures_bars], selection=[MINUTE_BARS], instance=instance,
                            resources=build_resources(), partition_key=key,
                            raise_on_error=False)
    meta: dict[str, Any] = {}
    for event in result.get_asset_materialization_events():
        meta = {k: v.value for k, v in event.materialization.metadata.items()}
    errors = [e.step_failure_data.error.message.strip() for e in result.all_events
              if e.is_step_failure and e.step_failure_data.error]
    return RunOutcome(key, result.success, "; ".join(errors)[:300], meta)


@contextmanager
def _mid_run(st: Stage, action: dict[str, Any], after: int) -> Iterator[None]:
    """Post `action` to the simulator once it has answered `after` more KIS requests."""
    if not action:
        yield
        return
    start = st.sim.stats()["requests"]
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if st.sim.stats()["requests"] >= start + after:
                st.sim.set_faults(**action)
                return
            time.sleep(0.02)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)


def minute_keys(first: str, count: int) -> list[str]:
    start = parse_minute_key(first)
    return [minute_key(start + timedelta(minutes=i)) for i in range(count)]


def run_source_scenario(st: Stage, reference: Reference, instance: dg.DagsterInstance, sc: SourceScenario,
                        keys: list[str]) -> Tally:
    """Run `keys` with the fault on; each partition is measured right after its own run, before the next run's
    look-back could fill anything it missed."""
    instance.add_dynamic_partitions(SESSION_MINUTES.name, [k for k in keys
                                                           if not instance.has_dynamic_partition(SESSION_MINUTES.name, k)])
    st.sim.clear_faults()
    before = st.sim.stats()
    outcomes: list[RunOutcome] = []
    with platform_env(scenario_env(st, sc)):
        st.sim.set_faults(**sc.faults)
        try:
            for i, key in enumerate(keys):
                st.sim.fixed(parse_minute_key(key) + timedelta(minutes=1, seconds=5))
                with _mid_run(st, sc.mid_run if i == 0 else {}, sc.after):
                    outcome = _materialize(instance, key)
                outcome.rows = minute_rows(st.market_dsn, st.symbols, [key])
                outcomes.append(outcome)
        finally:
            st.sim.clear_faults()
    after = st.sim.stats()
    expected = reference.minute_bars(st.symbols, keys)
    present = pd.concat([o.rows for o in outcomes], ignore_index=True)
    tally = _tally(sc.name, expected, present, keys)
    done = instance.get_materialized_partitions(dg.AssetKey("minute_bars"))
    tally.unmaterialized = sum(k not in done for k in keys)
    tally.visible, tally.repaired_by, tally.counters = _evidence(sc, before, after, outcomes)
    tally.notes = [f"{o.key}: {o.error}" for o in outcomes if not o.success]
    if "DID NOT FIRE" in tally.visible:
        tally.broken = f"the {sc.expect_fault} fault did not fire: nothing was tested"
    return tally


def _tally(name: str, expected: pd.DataFrame, present: pd.DataFrame, keys: list[str]) -> Tally:
    expected, present = expected.copy(), present.copy()
    for df in (expected, present):
        df["bar_start"] = pd.to_datetime(df["bar_start"], utc=True)
    expected["partition"] = expected["bar_start"].dt.tz_convert("Asia/Seoul").dt.strftime("%Y-%m-%d-%H:%M")
    counts = compare(expected, present, ["symbol", "bar_start"], "partition")
    return Tally(name, "source", "minute_bars", len(keys), **counts)


def _diff(after: dict, before: dict, name: str) -> Counter:
    return Counter(after.get(name, {})) - Counter(before.get(name, {}))


def _evidence(sc: SourceScenario, before: dict, after: dict,
              outcomes: list[RunOutcome]) -> tuple[str, str, dict[str, int]]:
    faults, errors = _diff(after, before, "by_fault"), _diff(after, before, "by_error")
    retries = sum(int(o.metadata.get("kis_retries", 0)) for o in outcomes)
    issued = sum(int(o.metadata.get("token_issuances", 0)) for o in outcomes)
    requests = sum(int(o.metadata.get("kis_requests", 0)) for o in outcomes)
    failed = [o for o in outcomes if not o.success]
    parts = [f"{name} ×{n}" for name, n in sorted(faults.items())]
    parts += [f"{code} ×{n}" for code, n in sorted(errors.items())]
    parts.append(f"client requests {requests}, retries {retries}")
    if issued:
        parts.append(f"tokens issued {issued}")
    if failed:
        parts.append(f"runs failed {len(failed)}/{len(outcomes)}")
    if sc.expect_fault and not faults.get(sc.expect_fault):
        parts.append(f"FAULT DID NOT FIRE ({sc.expect_fault})")
    if failed:
        repaired = "not repaired in the run (see the live family: run retry / repair sensor)"
    elif sc.evidence == "token":
        repaired = "token re-issued through the shared lease, request repeated"
    elif retries:
        repaired = "client retry with backoff"
    elif faults.get("truncated_page"):
        repaired = "page walk went on past the short page"
    else:
        repaired = "none needed (slower only)"
    counters = {"requests": requests, "retries": retries, "tokens_issued": issued, "runs_failed": len(failed),
                **{f"fault:{k}": v for k, v in faults.items()}, **{f"error:{k}": v for k, v in errors.items()}}
    return "; ".join(parts), repaired, counters
