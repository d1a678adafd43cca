"""Source faults that involve more than one run, on the live platform: several runs that all need a new token
in the same minute, and an EGW00201 burst longer than one request's retry budget (the run fails; the repair
sensor fetches the minute again)."""

from __future__ import annotations

from collections import Counter
from datetime import date

from kis_platform.bench.faults.database import DAILY_CONFIG, DAILY_JOB, TIMEOUT, _finish
from kis_platform.bench.faults.live import MINUTE_JOB, LivePlatform, wait_for
from kis_platform.bench.faults.reference import Reference
from kis_platform.bench.faults.tally import Tally, tally_days, tally_minutes


def _delta(after: dict, before: dict, *names: str) -> dict[str, int]:
    return {n: int(after[n]) - int(before[n]) for n in names}


def token_stampede(lp: LivePlatform, ref: Reference, days: list[date]) -> Tally:
    """One daily run per day in `days` is launched at once. Answers are held 5 s until both runs have a request
    held at the simulator (the kis_api pool admits two KIS steps); then every token is revoked and the answers flow
    again: the requests in flight reach the token check after the revocation, so each run is refused (EGW00121)
    and each needs a new token in the same minute, which KIS issues once a minute."""
    st = lp.stage
    keys = [d.isoformat() for d in days]
    st.sim.set_faults(delay_seconds=5.0)
    before = st.sim.stats()
    try:
        ids = [lp.launch(DAILY_JOB, key, DAILY_CONFIG) for key in keys]

        def two_fetching() -> list[str]:
            # A started step may not have sent its request yet; the steps fetch one request at a time, so two
            # requests held by the delay are one from each run.
            running = lp.steps_running(ids, "daily_bars")
            return running if len(running) >= 2 and st.sim.stats()["api_in_flight"] >= 2 else []

        fetching = wait_for("two runs fetching at once", two_fetching, TIMEOUT, every=0.5)
        st.sim.set_faults(revoke_tokens=True)
    finally:
        st.sim.clear_faults()
    lp.wait_settled(DAILY_JOB, keys, TIMEOUT)
    after = st.sim.stats()
    tally = tally_days(f"{len(keys)} runs need a token in the same minute", "source", st.market_dsn,
                       ref.daily_bars(st.symbols, days), st.symbols, days)
    tokens = _delta(after, before, "token_requests", "token_issuances", "token_rate_violations")
    refused = (Counter(after["by_error"]) - Counter(before["by_error"])).get("EGW00121", 0)
    tally = _finish(tally, lp, DAILY_JOB, keys, "daily_bars",
                    f"revoked while {len(fetching)} runs fetched; EGW00121 ×{refused}; tokenP calls "
                    f"{tokens['token_requests']}, tokens issued "
                    f"{tokens['token_issuances']}, EGW00133 (second issuance in a minute) "
                    f"{tokens['token_rate_violations']}")
    tally.counters = {"refused": refused, "fetching": len(fetching), **tokens}
    if tokens["token_issuances"] != 1 or tokens["token_rate_violations"]:
        tally.broken = (f"{tokens['token_issuances']} tokens issued and {tokens['token_rate_violations']} EGW00133 "
                        "for one revocation (expected 1 and 0)")
    else:
        tally.repaired_by = "shared token lease: one run issued, the others read it"
    return tally


def long_burst(lp: LivePlatform, ref: Reference, key: str, burst: int = 40) -> Tally:
    """`burst` consecutive EGW00201 answers as minute `key` runs: more than the client retries one request."""
    st = lp.stage
    st.sim.set_faults(egw00201_burst=burst)
    before = st.sim.stats()
    try:
        lp.step_to(key)
        lp.wait_settled(MINUTE_JOB, [key], TIMEOUT)
    finally:
        st.sim.clear_faults()
    fired = (Counter(st.sim.stats()["by_fault"]) - Counter(before["by_fault"])).get("egw00201", 0)
    keys = lp.let_repair(key)
    tally = tally_minutes(f"EGW00201 burst of {burst} (beyond retries)", "source", st.market_dsn,
                          ref.minute_bars(st.symbols, keys), st.symbols, keys)
    return _finish(tally, lp, MINUTE_JOB, keys, "minute_bars", f"EGW00201 ×{fired}")
