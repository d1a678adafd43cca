"""A real platform (`kis-platform up`) configured with canary secrets, made to do real work and to fail.

The work: the calendar sensor's run, an option-board snapshot and matrices, a whole minute job, KIS and KRX daily
bars and investor flows, then two runs that fail on simulator faults (HTTP 502 with an HTML body on every call;
EGW00201 rate-limit answers from KIS) so errors with raw bodies are logged and landed. Tests then search every
surface for the canaries, the access token the simulator issued, and the database passwords.
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from kis_platform.settings import REPO_ROOT
from kis_platform_tests.foundation.platform_proc import BIN, free_port, platform_env
from kis_platform_tests.security.sweep import Secret

SYMBOLS = "005930,000660,035420"
TERMINAL = ("SUCCESS", "FAILURE", "CANCELED")
LOCATION = {"repositoryLocationName": "kis_platform", "repositoryName": "__repository__"}

LAUNCH = """mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename
  ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on RunConfigValidationInvalid { errors { message } } ... on InvalidSubsetError { message } } }"""
STARTED = """query($id: ID!) { logsForRun(runId: $id, limit: 5000) { ... on EventConnection { events {
  __typename } } } }"""
RUN_STATUS = "query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"
SENSORS = """{ repositoryOrError(repositorySelector: {repositoryLocationName: "kis_platform",
  repositoryName: "__repository__"}) { ... on Repository { sensors { name jobOriginId targets { pipelineName }
  sensorState { status selectorId } } } } }"""
STOP_SENSOR = """mutation($origin: String, $selector: String) { stopSensor(jobOriginId: $origin, jobSelectorId: $selector) {
  __typename ... on PythonError { message } } }"""
ACTIVE_RUNS = """{ runsOrError(filter: {statuses: [QUEUED, NOT_STARTED, STARTING, STARTED]}) { ... on Runs {
  results { runId jobName tags { key value } } } } }"""
CALENDAR_RUNS = """{ runsOrError(filter: {pipelineName: "trading_calendar_job"}) { ... on Runs { results { runId } } } }"""
TERMINATE = """mutation($ids: [String!]!) { terminateRuns(runIds: $ids, terminatePolicy: MARK_AS_CANCELED_IMMEDIATELY) {
  __typename } }"""
CALENDAR = """{ assetNodeOrError(assetKey: {path: ["trading_calendar"]}) { ... on AssetNode {
  assetMaterializations(limit: 1) { timestamp } } } }"""


def canaries() -> dict[str, str]:
    """Distinctive fake credentials of the real lengths (KIS: 36 and 180 characters), random per session."""
    return {"KIS_APP_KEY": "PSCANARY" + secrets.token_hex(14), "KIS_APP_SECRET": "SECRETCANARY" + secrets.token_hex(84),
            "KRX_AUTH_KEY": "KRXCANARY" + secrets.token_hex(12)}


def graphql(url: str, query: str, variables: dict | None = None) -> tuple[dict, str]:
    """(data, the response text as served) of one GraphQL request; fails on GraphQL errors."""
    reply = httpx.post(f"{url}/graphql", json={"query": query, "variables": variables or {}}, timeout=120)
    body = reply.json()
    assert "errors" not in body, body["errors"]
    return body["data"], reply.text


@dataclass
class Launched:
    name: str
    job: str
    partition: str
    expect: str  # SUCCESS or FAILURE
    config: dict = field(default_factory=dict)
    assets: list[str] = field(default_factory=list)
    run_id: str = ""
    status: str = ""
    attempts: int = 0


@dataclass
class LivePlatform:
    home: Path
    up_log: Path
    ui_url: str
    sim_url: str
    ports: dict[str, int]
    config: dict[str, str]
    tokens: set[str] = field(default_factory=set)
    runs: list[Launched] = field(default_factory=list)
    token_issuances: int = 0
    sensors_stopped: list[str] = field(default_factory=list)

    @property
    def superuser_password(self) -> str:
        return (self.home / "postgres" / "superuser.password").read_text().strip()

    def role_password(self, role: str) -> str:
        return (self.home / "secrets" / f"{role}.password").read_text().strip()

    def dsn(self, dbname: str, user: str = "postgres", password: str | None = None) -> str:
        password = self.superuser_password if password is None else password
        return f"postgresql://{user}:{password}@127.0.0.1:{self.ports['pg']}/{dbname}"

    def lease_files(self) -> list[Path]:
        return sorted((self.home / "state").glob("kis_token_*.json"))

    def secrets(self) -> list[Secret]:
        """Every value that must stay in its own file: the canaries, each token issued, the database passwords."""
        found = [Secret(name, value) for name, value in self.config.items()]
        for i, token in enumerate(sorted(self.tokens), 1):
            found.append(Secret(f"KIS access token #{i}", token, fragments_of=token.rsplit(".", 1)[-1]))
        found.append(Secret("PostgreSQL superuser password", self.superuser_password))
        found += [Secret(f"{role} password", self.role_password(role)) for role in ("kis_analyst", "kis_writer")]
        return found

    def capture_tokens(self) -> None:
        for lease in self.lease_files():
            self.tokens.add(json.loads(lease.read_text())["access_token"])

    def sim(self, method: str, path: str, body: dict | None = None) -> dict:
        reply = httpx.request(method, f"{self.sim_url}/__sim/{path}", json=body, timeout=30)
        reply.raise_for_status()
        return reply.json()

    def launch(self, run: Launched) -> Launched:
        selector = {**LOCATION, "jobName": run.job}
        if run.assets:
            selector["assetSelection"] = [{"path": [a]} for a in run.assets]
        tags = [{"key": "kis_platform/security_test", "value": run.name}]
        tags += [{"key": "dagster/partition", "value": run.partition}] if run.partition else []
        params = {"selector": selector, "runConfigData": run.config, "executionMetadata": {"tags": tags}}
        data, _ = graphql(self.ui_url, LAUNCH, {"p": params})
        assert data["launchRun"]["__typename"] == "LaunchRunSuccess", data
        run.run_id, run.attempts = data["launchRun"]["run"]["runId"], run.attempts + 1
        if run not in self.runs:
            self.runs.append(run)
        return run

    def wait(self, *runs: Launched, seconds: float = 600) -> None:
        """Wait until each run ends; a run that never started (the code server timed out on a loaded machine)
        is launched again, up to three times in all."""
        deadline = time.monotonic() + seconds
        pending = list(runs)
        while pending:
            run = pending[0]
            data, _ = graphql(self.ui_url, RUN_STATUS, {"id": run.run_id})
            run.status = data["runOrError"]["status"]
            if run.status not in TERMINAL:
                assert time.monotonic() < deadline, f"run {run.name} still {run.status}"
                time.sleep(2)
                continue
            started = graphql(self.ui_url, STARTED, {"id": run.run_id})[0]["logsForRun"]["events"]
            if run.status == "FAILURE" and not any(e["__typename"] == "RunStartEvent" for e in started) \
                    and run.attempts < 3:
                self.launch(run)
                continue
            pending.pop(0)
        self.capture_tokens()


def _wait_for_ui(proc: subprocess.Popen[bytes], log: Path, seconds: float = 300) -> None:
    deadline = time.monotonic() + seconds
    while "Dagster UI:" not in log.read_text():
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, f"`up` did not serve the UI: {log.read_text()}"
        time.sleep(0.5)


def _wait_for_calendar(platform: LivePlatform, seconds: float = 400) -> None:
    """On a fresh install the calendar sensor materializes trading_calendar first; it registers the partitions."""
    deadline = time.monotonic() + seconds
    while not graphql(platform.ui_url, CALENDAR)[0]["assetNodeOrError"]["assetMaterializations"]:
        assert time.monotonic() < deadline, "trading_calendar was not materialized by its sensor"
        time.sleep(3)


def _quiesce(platform: LivePlatform) -> list[str]:
    """Stop the sensors that launch runs and cancel what they queued (but the calendar's first run): on a shared
    2-core machine the minute and audit sensors, following the simulated clock, would multiply the runs, and
    this test launches its own. Returns the sensors stopped."""
    stopped = []
    for sensor in graphql(platform.ui_url, SENSORS)[0]["repositoryOrError"]["sensors"]:
        if sensor["targets"] and sensor["sensorState"]["status"] == "RUNNING":
            data, _ = graphql(platform.ui_url, STOP_SENSOR, {"origin": sensor["jobOriginId"],
                                                             "selector": sensor["sensorState"]["selectorId"]})
            assert data["stopSensor"]["__typename"] == "StopSensorMutationResult", data
            stopped.append(sensor["name"])
    active = graphql(platform.ui_url, ACTIVE_RUNS)[0]["runsOrError"]["results"]
    theirs = [r["runId"] for r in active if not any(t["key"] == "kis_platform/security_test" for t in r["tags"])
              and r["jobName"] != "trading_calendar_job"]
    if theirs:
        graphql(platform.ui_url, TERMINATE, {"ids": theirs})
    return stopped


def _do_work(platform: LivePlatform) -> None:
    both = {"ops": {"daily_bars": {"config": {"sources": ["KIS", "KRX"]}}}}
    kis_only = {"ops": {"daily_bars": {"config": {"sources": ["KIS"]}}}}
    # The board snapshot of 10:05 must be taken within that minute; the minute's bars once it has closed.
    platform.sim("POST", "clock", {"mode": "fixed", "now": "2026-11-20T10:05:30+09:00"})
    platform.sensors_stopped = _quiesce(platform)
    if not graphql(platform.ui_url, CALENDAR_RUNS)[0]["runsOrError"]["results"]:
        platform.wait(platform.launch(Launched("calendar", "trading_calendar_job", "", "SUCCESS")))
    _wait_for_calendar(platform)
    platform.wait(platform.launch(Launched("option board 10:05", "intraday_minute_job", "2026-11-20-10:05", "SUCCESS",
                                           assets=["option_chain_snapshots", "option_matrices"])))
    platform.sim("POST", "clock", {"mode": "fixed", "now": "2026-11-20T10:06:30+09:00"})
    platform.wait(platform.launch(Launched("minute job 10:05", "intraday_minute_job", "2026-11-20-10:05", "SUCCESS")),
                  platform.launch(Launched("daily KIS+KRX 11-18", "daily_kis_job", "2026-11-18", "SUCCESS", both)))
    try:
        platform.sim("POST", "faults", {"error_5xx_rate": 1.0})
        platform.wait(platform.launch(Launched("HTTP 502 everywhere", "daily_kis_job", "2026-11-17", "FAILURE",
                                               both)))
        platform.sim("POST", "faults/clear")
        platform.sim("POST", "faults", {"egw00201_rate": 1.0})
        platform.wait(platform.launch(Launched("KIS EGW00201 everywhere", "daily_kis_job", "2026-11-16", "FAILURE",
                                               kis_only)))
    finally:
        platform.sim("POST", "faults/clear")
    platform.token_issuances = int(platform.sim("GET", "stats")["token_issuances"])


def start_live_platform(root: Path) -> Iterator[LivePlatform]:
    """Start `up` with canary secrets under `root`, do the work, yield, then stop it (SIGINT, as a user would)."""
    home = root / "home"
    ports = {"ui": free_port(3600), "pg": free_port(56600), "sim": free_port(18600)}
    config = canaries()
    env = platform_env(home, KIS_PLATFORM_UI_PORT=str(ports["ui"]), KIS_PLATFORM_PG_PORT=str(ports["pg"]),
                       KIS_SIM_PORT=str(ports["sim"]), KIS_ENV="sim", KIS_SYMBOLS=SYMBOLS,
                       KIS_PLATFORM_CLOCK="simulator", DAGSTER_GRPC_TIMEOUT_SECONDS="300", **config)
    log = root / "up.log"
    proc = subprocess.Popen([str(BIN / "kis-platform"), "up"], env=env, cwd=REPO_ROOT, stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)
    platform = LivePlatform(home, log, f"http://127.0.0.1:{ports['ui']}", f"http://127.0.0.1:{ports['sim']}", ports,
                            config)
    try:
        _wait_for_ui(proc, log)
        _do_work(platform)
        yield platform
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
