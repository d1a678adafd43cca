"""What Dagster recorded about a scenario's runs: why runs failed (the error a person would read in the UI) and
which mechanism produced the successful materialization."""

from __future__ import annotations

import dagster as dg

from kis_platform.bench.faults.live import LivePlatform


def failure_reason(instance: dg.DagsterInstance, run: dg.DagsterRun) -> str:
    """The first step error of a failed run, else its run-failure or crash message."""
    messages = []
    for record in instance.all_logs(run.run_id):
        event = record.dagster_event
        if event is None:
            continue
        if event.is_step_failure and event.step_failure_data.error:
            error = event.step_failure_data.error
            while error.cause is not None:  # the user-code error under Dagster's wrapper
                error = error.cause
            return f"{event.step_key}: {_one_line(error.message)}"
        if event.event_type_value in ("RUN_FAILURE", "ENGINE_EVENT") and event.message and (
                "exited" in event.message or "fail" in event.message.lower() or "signal" in event.message):
            messages.append(event.message.strip())
    crash = next((m for m in messages if "exited" in m or "signal" in m), messages[0] if messages else "")
    return _one_line(crash.split(". This usually")[0])


def _one_line(text: str) -> str:
    return " ".join(text.split())


def how(run: dg.DagsterRun) -> str:
    """The mechanism that launched a run."""
    if run.tags.get("dagster/retry_number"):
        return f"run retry #{run.tags['dagster/retry_number']}"
    if run.tags.get("kis_platform/trigger") == "repair":
        return "repair sensor"
    if run.tags.get("kis_platform/trigger") == "retry-rescue":
        return "retry rescue sensor (Dagster's retry daemon missed the failure)"
    if run.tags.get("dagster/sensor_name"):
        return f"sensor {run.tags['dagster/sensor_name']}"
    return "launched from the UI (GraphQL)"


def summarize(lp: LivePlatform, job: str, keys: list[str], asset: str) -> tuple[list[str], list[str], str]:
    """(failures, launches, repaired_by) over the runs of `job` for `keys`: each failed run with its reason, how
    each run was launched, and what launched the run that materialized `asset` for each key that had a failed
    run (a run that failed in another step but materialized `asset` repaired nothing: nothing was missing)."""
    assert lp.instance is not None
    failures, launches, repairs = [], [], []
    for key in keys:
        runs = sorted(lp.runs(job, key), key=lambda r: lp.instance.get_run_record_by_id(r.run_id).create_timestamp)
        launches += [f"{key}: {how(r)} → {r.status.value}" for r in runs]
        failed = [r for r in runs if r.status == dg.DagsterRunStatus.FAILURE]
        failures += [f"{key}: {failure_reason(lp.instance, r)[:240]}" for r in failed]
        done = lp.materialized_by(asset, key)
        if failed and done is not None and done.run_id not in {r.run_id for r in failed}:
            repairs.append(how(done))
    return failures, launches, ", ".join(sorted(set(repairs))) or ("none" if failures else "none needed")
