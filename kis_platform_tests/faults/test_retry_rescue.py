"""The rescue of run retries Dagster never launched (defs/ops/retry_rescue.py): found by the fault scenarios,
where Dagster's retry daemon read a failure event before the run's status said FAILURE and skipped it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg

from kis_platform.defs.ops.retry_rescue import rescue_requests

DAYS = dg.StaticPartitionsDefinition(["2026-11-19"])


@dg.asset(partitions_def=DAYS)
def flaky() -> None:
    raise RuntimeError("server closed the connection unexpectedly")


def test_a_failure_marked_for_retry_without_a_retry_is_rerun() -> None:
    with dg.instance_for_test() as instance:
        defs = dg.Definitions(assets=[flaky], jobs=[dg.define_asset_job("flaky_job", [flaky])])
        result = defs.resolve_job_def("flaky_job").execute_in_process(instance=instance, partition_key="2026-11-19",
                                                                     raise_on_error=False)
        run_id = result.run_id
        later = datetime.now(UTC) + timedelta(minutes=2)
        assert rescue_requests(instance, ["flaky_job"], later) == []  # not marked for retry: nothing to rescue

        instance.add_run_tags(run_id, {"dagster/will_retry": "true"})  # what Dagster writes after the failure
        assert rescue_requests(instance, ["flaky_job"], datetime.now(UTC)) == []  # the daemon still has time
        (request,) = rescue_requests(instance, ["flaky_job"], later)
        assert (request.job_name, request.partition_key, request.run_key) == ("flaky_job", "2026-11-19",
                                                                              f"rescue-{run_id}")
        assert rescue_requests(instance, ["other_job"], later) == []

        instance.add_run_tags(run_id, {"dagster/auto_retry_run_id": "x"})  # the daemon did retry it
        assert rescue_requests(instance, ["flaky_job"], later) == []
