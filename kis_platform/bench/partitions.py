"""`kis-platform bench partitions`: partition pages and minute ticks with a year of minute-partition history.

A scratch Dagster instance on the embedded PostgreSQL gets one year of KRX session minutes registered as
`session_minutes` partitions and a minute_bars materialization recorded for each. Then, against the real
webserver serving the real code location, it times the GraphQL query the UI's partition page makes for
minute_bars (partition stats and status ranges), cold and warm, and times the minute schedule's and the
repair sensor's tick evaluations.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import httpx

from kis_platform import calendar
from kis_platform.calendar import KST
from kis_platform.settings import REPO_ROOT
from kis_platform.storage.database import create_database_if_missing, dagster_storage_url
from kis_platform.storage.embedded import EmbeddedPostgres, free_port

BIN = Path(sys.executable).parent
STATUS_QUERY = """query($k: AssetKeyInput!) { assetNodeOrError(assetKey: $k) { ... on AssetNode {
  partitionStats { numMaterialized numPartitions numFailed numMaterializing }
  assetPartitionStatuses { __typename
    ... on DefaultPartitionStatuses { materializedPartitions failedPartitions unmaterializedPartitions
                                      materializingPartitions } } } } }"""


def _record_history(instance, keys: list[str]) -> None:  # noqa: ANN001
    import dagster as dg
    from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
    from dagster._core.events.log import EventLogEntry

    from dagster._core.storage.dagster_run import DagsterRun

    from kis_platform.defs.intraday.schedules import LIVE_SENSOR
    from kis_platform.defs.partitions import SESSION_MINUTES, sync

    sync(instance, SESSION_MINUTES, keys)
    # Live collection started with the first minute (the repair sensor looks for gaps only after it).
    instance.add_run(DagsterRun(job_name="intraday_minute_job", run_id="bench-history-first-live-run",
                                status=dg.DagsterRunStatus.SUCCESS,
                                tags={"dagster/sensor_name": LIVE_SENSOR, "dagster/partition": keys[0]}))
    batch = []
    for key in keys:
        event = DagsterEvent(DagsterEventType.ASSET_MATERIALIZATION.value, "bench_history",
                             event_specific_data=StepMaterializationData(
                                 dg.AssetMaterialization(asset_key="minute_bars", partition=key)))
        batch.append(EventLogEntry(error_info=None, level="INFO", user_message="", run_id="",
                                   timestamp=time.time(), dagster_event=event))
        if len(batch) == 2000:
            instance.event_log_storage.store_event_batch(batch)
            batch = []
    if batch:
        instance.event_log_storage.store_event_batch(batch)


def _time_ms(fn, repeat: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def run(argv: list[str]) -> dict:
    parser = argparse.ArgumentParser(prog="kis-platform bench partitions")
    parser.add_argument("--days", type=int, default=365, help="calendar days of minute history (default 365)")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="kis-bench-partitions-"))
    server = EmbeddedPostgres(root / "pg", free_port(56700)).start()
    web = None
    try:
        create_database_if_missing(server.dsn(), "dagster")
        home = root / "dagster"
        home.mkdir()
        (home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
        os.environ.update(DAGSTER_HOME=str(home), KIS_DAGSTER_PG_URL=dagster_storage_url(server.dsn("dagster")))
        import dagster as dg

        from kis_platform.defs.partitions import minute_key

        end = date(2026, 11, 20)
        keys = [minute_key(m) for d in calendar.sessions(end - timedelta(days=args.days), end)
                for m in calendar.minute_grid(d)]
        instance = dg.DagsterInstance.get()
        t = time.perf_counter()
        _record_history(instance, keys)
        print(f"recorded {len(keys):,} minute partitions with a materialization each in {time.perf_counter() - t:.0f} s",
              flush=True)

        ui = free_port(3400)
        log = root / "webserver.log"
        web = subprocess.Popen([str(BIN / "dagster-webserver"), "-p", str(ui), "-w", str(REPO_ROOT / "workspace.yaml")],
                               env=dict(os.environ), stdout=log.open("wb"), stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        url = f"http://127.0.0.1:{ui}"
        for _ in range(240):
            try:
                if httpx.get(f"{url}/server_info", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)

        def status() -> None:
            reply = httpx.post(f"{url}/graphql", timeout=600, json={
                "query": STATUS_QUERY, "variables": {"k": {"path": ["minute_bars"]}}}).json()
            stats = reply["data"]["assetNodeOrError"]["partitionStats"]
            assert stats["numMaterialized"] == len(keys), reply

        cold = _time_ms(status, 1)[0]
        warm = _time_ms(status, 5)

        from dagster._core.definitions.partitions.context import partition_loading_context

        from kis_platform.definitions import defs
        from kis_platform.defs.intraday.schedules import minute_requests, repair_missed_minutes

        repo = defs.get_repository_def()
        # The minute sensor's work at a tick inside the pre-launch window: the minute that just closed and the one
        # about to close (the sensor itself adds one clock read).
        tick_at = datetime(2026, 11, 20, 10, 5, 40, tzinfo=KST)

        def minute_tick() -> None:
            assert [r.run_key for r in minute_requests(instance, tick_at, 25)] == ["2026-11-20-10:04", "2026-11-20-10:05"]

        schedule = _time_ms(minute_tick, 5)
        with partition_loading_context(dynamic_partitions_store=instance):
            repair = _time_ms(lambda: repair_missed_minutes.evaluate_tick(
                dg.build_sensor_context(instance=instance, repository_def=repo)), 3)
    finally:
        if web is not None:
            web.terminate()
            web.wait(timeout=30)
        server.stop("immediate")
    figures = {
        "partitions": len(keys), "partition_status_ms": round(statistics.median(warm)),
        "partition_status_cold_ms": round(cold), "schedule_tick_ms": round(statistics.median(schedule)),
        "repair_sensor_tick_ms": round(statistics.median(repair)),
    }
    print(f"UI partition status query for minute_bars: cold {cold:.0f} ms, warm median {figures['partition_status_ms']} ms"
          f" (5 runs: {', '.join(f'{w:.0f}' for w in warm)}); minute trigger tick {figures['schedule_tick_ms']} ms;"
          f" repair sensor tick {figures['repair_sensor_tick_ms']} ms")
    return figures
