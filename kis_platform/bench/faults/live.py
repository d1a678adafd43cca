"""The platform running for real on the stage: the Dagster webserver and daemon as two processes (as a deployment
runs them, so the daemon can be stopped and started on its own), with the repository's dagster.yaml, the run
queue, sensors, run retries and run monitoring. Runs are launched the way a person does (the UI's GraphQL API)
or by the platform's own sensors following the simulator's clock."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable

import dagster as dg
import httpx
import psutil

from kis_platform.bench._platform import LOCATION, launch_job
from kis_platform.bench.faults.stage import Stage, platform_env
from kis_platform.launcher import BIN, Child, Supervisor, prepare_dagster_home, start_code_server
from kis_platform.settings import load_settings
from kis_platform.storage.embedded import free_port

MINUTE_JOB = "intraday_minute_job"
RESCUES = "kis_platform/rescues"  # tag of a rerun by rescue_stranded_retries
TERMINAL = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
# A calendar of a few days: the trading_calendar sensor's default (400 days, a year of minute keys) is a
# fresh install's, and would keep the machine busy for minutes.
CALENDAR_CONFIG = {"ops": {"trading_calendar": {"config": {"history_days": 10, "future_days": 5,
                                                           "minute_history_days": 2}}}}


def wait_for(what: str, check: Callable[[], object], timeout: float, every: float = 1.0) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not reached within {timeout:.0f} s")
        time.sleep(every)


class LivePlatform:
    """Start with `start()`, stop with `stop()`; `instance` reads Dagster's storage directly."""

    def __init__(self, st: Stage) -> None:
        self.stage = st
        self.ui_port = free_port(3400)
        self.env = {**{k: v for k, v in os.environ.items() if not k.startswith(("KIS_", "DAGSTER_", "DATABASE_URL",
                                                                             "KRX_"))},
                    **st.env, "KIS_PLATFORM_UI_PORT": str(self.ui_port)}
        self.logs = st.home / "logs"
        self.supervisor: Supervisor | None = None
        self.daemon: Child | None = None
        self.instance: dg.DagsterInstance | None = None
        self.workspace = ""

    # -- lifecycle --------------------------------------------------------------------------------------------

    def start(self, keep_sensors: Iterable[str] = ()) -> list[str]:
        """Webserver first; then every sensor not in `keep_sensors` is turned off (as in the UI) before the
        daemon starts, so nothing else competes for the two cores. Returns the sensors turned off."""
        settings = load_settings(self.env)
        prepare_dagster_home(settings)
        self.logs.mkdir(parents=True, exist_ok=True)
        with platform_env(self.stage.env):
            self.instance = dg.DagsterInstance.get()
            self._register_calendar()
        self.supervisor = Supervisor(self.logs, self.env)
        self.workspace = str(start_code_server(self.supervisor, settings.dagster_home))
        web = self.supervisor.start("webserver", [str(BIN / "dagster-webserver"), "-h", "127.0.0.1",
                                                  "-p", str(self.ui_port), "-w", self.workspace])
        wait_for("webserver", lambda: self._answers() or web.process.poll() is not None, 300)
        if web.process.poll() is not None:
            raise RuntimeError(f"webserver exited: {self.log_tail('webserver')}")
        wait_for("code location loaded in the webserver", self._location_loaded, 300, every=2)
        stopped = [name for name, sensor in self.sensors().items()
                   if name not in set(keep_sensors) and sensor["status"] == "RUNNING"]
        for name in stopped:
            self.stop_sensor(name)
        self.start_daemon()
        wait_for("daemon heartbeat", self.daemon_ready, 300, every=2)
        return stopped

    def _register_calendar(self) -> None:
        """Trading days and session minutes as partitions, from the platform's own calendar asset."""
        from kis_platform.defs.master.assets import trading_calendar
        from kis_platform.defs.resources import build_resources

        result = dg.materialize([trading_calendar], instance=self.instance, resources=build_resources(),
                                run_config=CALENDAR_CONFIG)
        if not result.success:
            raise RuntimeError("the trading_calendar asset failed on the stage")

    def _answers(self) -> bool:
        try:
            return httpx.get(f"{self.url}/server_info", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def _location_loaded(self) -> bool:
        from kis_platform.launcher import code_locations

        status = code_locations(self.url)
        if status.get(LOCATION):
            raise RuntimeError(f"code location failed to load: {status[LOCATION]}")
        return LOCATION in status

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ui_port}"

    def start_daemon(self) -> None:
        assert self.supervisor is not None
        self.daemon = self.supervisor.start("daemon", [str(BIN / "dagster-daemon"), "run", "-w", self.workspace])

    def daemon_ready(self) -> bool:
        """The daemon has written a heartbeat since it was (re)started."""
        assert self.instance is not None and self.daemon is not None
        started = psutil.Process(self.daemon.process.pid).create_time()
        beats = self.instance.get_daemon_heartbeats()
        return any(b.daemon_type == "SENSOR" and b.timestamp > started for b in beats.values())

    def stop_daemon(self) -> None:
        """Stop the daemon as a service manager would: SIGTERM, then wait for it to exit."""
        assert self.daemon is not None
        self.daemon.process.send_signal(signal.SIGTERM)
        try:
            self.daemon.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(self.daemon.process.pid, signal.SIGKILL)
            self.daemon.process.wait(timeout=10)

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop_all()
        if self.instance is not None:
            self.instance.dispose()

    # -- runs -------------------------------------------------------------------------------------------------

    def launch(self, job: str, partition: str, run_config: dict | None = None) -> str:
        """Launch `job` for `partition` through the UI's GraphQL API; returns the run id."""
        return launch_job(self.ui_port, job, partition, run_config)

    def runs(self, job: str | None = None, partition: str | None = None) -> list[dg.DagsterRun]:
        assert self.instance is not None
        tags = {"dagster/partition": partition} if partition else {}
        return list(self.instance.get_runs(dg.RunsFilter(job_name=job, tags=tags)))

    def wait_settled(self, job: str, partitions: Iterable[str], timeout: float) -> None:
        """Until every run of `job` for `partitions` is finished and no retry is pending."""
        keys = set(partitions)

        def settled() -> bool:
            runs = [r for k in keys for r in self.runs(job, k)]
            if not runs or any(r.status not in TERMINAL for r in runs):
                return False
            # A failed run is settled once the retry daemon has said it will not retry it, or it was retried
            # (by the daemon, or by rescue_stranded_retries when the daemon missed it).
            pending = [r for r in runs if r.status == dg.DagsterRunStatus.FAILURE
                       and r.tags.get("dagster/will_retry") != "false"
                       and not any(x.parent_run_id == r.run_id or x.tags.get(RESCUES) == r.run_id for x in runs)]
            # ...or when nothing has retried it for three minutes: then the tally shows what is missing.
            return not [r for r in pending if self._ended_ago(r.run_id) < 180]

        wait_for(f"runs of {job} for {sorted(keys)} settled", settled, timeout, every=2)

    def _ended_ago(self, run_id: str) -> float:
        assert self.instance is not None
        record = self.instance.get_run_record_by_id(run_id)
        return time.time() - record.end_time if record and record.end_time else 0.0

    def materialized(self, asset: str, keys: Iterable[str]) -> set[str]:
        assert self.instance is not None
        done = self.instance.get_materialized_partitions(dg.AssetKey(asset))
        return {k for k in keys if k in done}

    def step_to(self, key: str) -> dg.DagsterRun:
        """Move the simulated session just past the close of minute `key` (clock fixed at 5 s after it), so the
        platform's minute trigger launches that minute's run; returns the run that holds the watch-list bars
        (not an after-close run, which selects the futures only)."""
        from datetime import timedelta

        from kis_platform.defs.partitions import parse_minute_key

        def bars_run() -> dg.DagsterRun | None:
            return next((r for r in self.runs(MINUTE_JOB, key)
                         if r.asset_selection is None or dg.AssetKey("minute_bars") in r.asset_selection), None)

        self.stage.sim.fixed(parse_minute_key(key) + timedelta(minutes=1, seconds=5))
        return wait_for(f"minute run for {key}", bars_run, 600)

    def materialized_by(self, asset: str, key: str) -> dg.DagsterRun | None:
        """The run of the first materialization of `asset` for partition `key` (that run may have failed in
        another step: the minute job runs several assets)."""
        assert self.instance is not None
        records = self.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(asset), asset_partitions=[key]), limit=1, ascending=True)
        return self.instance.get_run_by_id(records.records[0].run_id) if records.records else None

    def let_repair(self, key: str) -> list[str]:
        """Move the session on until the repair sensor (which takes minutes closed more than three minutes
        ago) has reached `key`: first to three minutes after it (the minute trigger takes `key`+2, `key`+1 is
        jumped over), then one more (the trigger takes `key`+3, the sensor `key`+1). Returns `key` and the three
        minutes after it, once all are materialized and no minute run is left."""
        from datetime import timedelta

        from kis_platform.defs.partitions import minute_key, parse_minute_key

        start = parse_minute_key(key)
        keys = [minute_key(start + timedelta(minutes=i)) for i in range(4)]
        for step, done in ((3, keys[:1]), (4, keys)):
            self.stage.sim.fixed(start + timedelta(minutes=step, seconds=5))
            wait_for(f"minutes {done[0]}…{done[-1]} materialized",
                     lambda done=done: self.materialized("minute_bars", done) == set(done), 900, every=3)
        self.wait_idle()
        return keys

    def wait_idle(self, timeout: float = 900) -> None:
        """Until no minute run is queued or running."""
        assert self.instance is not None
        wait_for("minute runs finished", lambda: not self.instance.get_runs(  # type: ignore[union-attr]
            dg.RunsFilter(job_name=MINUTE_JOB, statuses=ACTIVE)), timeout, every=2)

    def steps_running(self, run_ids: Iterable[str], step: str) -> list[str]:
        """The runs among `run_ids` whose `step` has started and not finished."""
        assert self.instance is not None
        kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
        running = []
        for run_id in run_ids:
            events = [r.dagster_event for r in self.instance.all_logs(run_id, of_type=kinds)
                      if r.dagster_event and r.dagster_event.step_key == step]
            if events and all(e.event_type == dg.DagsterEventType.STEP_START for e in events):
                running.append(run_id)
        return running

    def pool_slots_of(self, run_id: str, pool: str = "kis_api") -> list[str]:
        """Steps of `run_id` holding a slot of `pool`."""
        assert self.instance is not None
        info = self.instance.event_log_storage.get_concurrency_info(pool)
        return [s.step_key for s in info.claimed_slots if s.run_id == run_id]

    def run_worker_pid(self, run_id: str) -> int | None:
        """The pid of a run's worker process, from the run's 'Started process for run' engine event."""
        assert self.instance is not None
        for record in self.instance.all_logs(run_id, of_type=dg.DagsterEventType.ENGINE_EVENT):
            data = record.dagster_event.engine_event_data if record.dagster_event else None
            pid = (data.metadata or {}).get("pid") if data else None
            if pid is not None:
                return int(pid.value)
        return None

    # -- sensors ----------------------------------------------------------------------------------------------

    def _graphql(self, query: str, variables: dict | None = None) -> dict:
        reply = httpx.post(f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60)
        reply.raise_for_status()
        body = reply.json()
        if body.get("errors"):
            raise RuntimeError(f"GraphQL error: {body['errors']}")
        return body["data"]

    def sensors(self) -> dict[str, dict]:
        """Every sensor of the code location: its status, the jobs it targets and its ids."""
        data = self._graphql(_SENSORS, {"location": LOCATION})["sensorsOrError"]
        return {s["name"]: {"status": s["sensorState"]["status"], "id": s["sensorState"]["id"],
                            "jobs": [t["pipelineName"] for t in s["targets"] or []]} for s in data["results"]}

    def stop_sensor(self, name: str) -> None:
        """Turn a sensor off, as the UI's toggle does."""
        state_id = self.sensors()[name]["id"]
        result = self._graphql(_STOP_SENSOR, {"id": state_id})["stopSensor"]
        if result.get("__typename") != "StopSensorMutationResult":
            raise RuntimeError(f"could not stop sensor {name}: {result}")

    def log_tail(self, name: str, lines: int = 40) -> str:
        path = self.logs / f"{name}.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""




_SENSORS = """query($location: String!) { sensorsOrError(repositorySelector: {repositoryLocationName: $location,
  repositoryName: "__repository__"}) { __typename ... on Sensors { results { name targets { pipelineName }
  sensorState { id status } } } ... on PythonError { message } } }"""
_STOP_SENSOR = """mutation($id: String!) { stopSensor(id: $id) { __typename ... on StopSensorMutationResult {
  instigationState { status } } ... on PythonError { message } } }"""
