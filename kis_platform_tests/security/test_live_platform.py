"""Security of a running platform: no secret in the UI, run records, logs, tables or files; owner-only secret
files; loopback-only listeners; the analyst role kept out of Dagster's storage.

One `kis-platform up` (module fixture, see live.py) is configured with canary KIS/KRX credentials, runs real
work against its simulator (options, minutes, futures, daily bars, flows) and two runs that fail on faults.
"""

from __future__ import annotations

import ipaddress
import json
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from kis_platform_tests.security.live import LivePlatform, graphql, start_live_platform
from kis_platform_tests.security.sweep import Sweep, mode, report


@pytest.fixture(scope="module")
def live() -> Iterator[LivePlatform]:
    # Not under pytest's basetemp: as root the embedded server opens the path's parents to its service user, and
    # another pytest session starting meanwhile closes /tmp/pytest-of-root again (initdb then cannot reach it).
    root = Path(tempfile.mkdtemp(prefix="kis-security-"))
    try:
        yield from start_live_platform(root)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_the_work_really_ran(live: LivePlatform) -> None:
    """The sweeps below mean something only if the runs happened and the failures failed."""
    outcome = {r.name: r.status for r in live.runs}
    assert {r.name: r.expect for r in live.runs} == outcome, outcome
    assert live.tokens, "no access token was found in the token lease: the KIS client never authenticated"
    with psycopg.connect(live.dsn("kis_market")) as conn:
        landed = dict(conn.execute("SELECT CASE WHEN body LIKE '%EGW00201%' THEN 'EGW00201' WHEN status >= 500 "
                                   "THEN '5xx' ELSE 'ok' END, count(*) FROM raw_responses GROUP BY 1").fetchall())
        tables = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in (
            "minute_bars", "futures_minute_bars", "option_chain_snapshots", "option_matrices", "daily_bars",
            "investor_flows")}
    assert landed.get("5xx") and landed.get("EGW00201") and landed.get("ok"), landed
    assert all(tables.values()), tables
    report("work", f"runs {outcome}; landing zone responses {landed}; rows {tables}; "
                   f"tokens issued by the simulator {live.token_issuances}, seen in the lease {len(live.tokens)}")


EVENTS = """query($runId: ID!, $after: String) { logsForRun(runId: $runId, afterCursor: $after, limit: 2000) {
  __typename ... on EventConnection { cursor hasMore events { __typename
    ... on MessageEvent { message level stepKey }
    ... on DisplayableEvent { label description metadataEntries { ...Meta } }
    ... on ErrorEvent { error { ...Err } }
    ... on ExecutionStepFailureEvent { failureMetadata { label description metadataEntries { ...Meta } } }
    ... on AssetCheckEvaluationEvent { evaluation { checkName description metadataEntries { ...Meta } } }
    ... on MaterializationEvent { tags { key value } }
    ... on LogsCapturedEvent { fileKey stepKeys } } }
  ... on PythonError { message } } }
fragment Err on PythonError { message stack className causes { message stack } cause { message stack } }
fragment Meta on MetadataEntry { __typename label description
  ... on TextMetadataEntry { text } ... on MarkdownMetadataEntry { mdStr } ... on JsonMetadataEntry { jsonString }
  ... on PathMetadataEntry { path } ... on UrlMetadataEntry { url } ... on IntMetadataEntry { intRepr }
  ... on FloatMetadataEntry { floatRepr } ... on BoolMetadataEntry { boolValue }
  ... on PythonArtifactMetadataEntry { module name } ... on PipelineRunMetadataEntry { runId }
  ... on NotebookMetadataEntry { path } ... on TimestampMetadataEntry { timestamp }
  ... on TableMetadataEntry { table { records schema { columns { name description } } } } }"""
RUNS = """{ runsOrError(limit: 500) { ... on Runs { results { runId jobName status runConfigYaml mode
  tags { key value } assetSelection { path } stepKeysToExecute } } } }"""
WORKSPACE = """{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename
  ... on PythonError { message stack }
  ... on RepositoryLocation { repositories { name
    allTopLevelResourceDetails { name description configFields { name description defaultValueAsJson }
      configuredValues { key value type } }
    sensors { name sensorState { ticks(limit: 200) { status skipReason cursor runIds error { message stack }
      logEvents { events { message level } } } } }
    schedules { name scheduleState { ticks(limit: 200) { status skipReason runIds error { message stack }
      logEvents { events { message level } } } } }
    assetNodes { assetKey { path } description metadataEntries { __typename label }
      assetMaterializations(limit: 50) { runId description metadataEntries { __typename label
        ... on TextMetadataEntry { text } ... on MarkdownMetadataEntry { mdStr }
        ... on JsonMetadataEntry { jsonString } } }
      assetChecksOrError { ... on AssetChecks { checks { name executionForLatestMaterialization {
        evaluation { description metadataEntries { __typename label ... on TextMetadataEntry { text }
          ... on MarkdownMetadataEntry { mdStr } ... on JsonMetadataEntry { jsonString } } } } } } } }
  } } } } } }
  instance { info daemonHealth { allDaemonStatuses { daemonType healthy lastHeartbeatErrors { message stack } } } }
  utilizedEnvVarsOrError(repositorySelector: {repositoryLocationName: "kis_platform", repositoryName: "__repository__"}) {
    ... on EnvVarWithConsumersList { results { envVarName } } } }"""
CAPTURED = "query($key: [String!]!) { capturedLogs(logKey: $key) { stdout stderr } }"


def test_ui_never_shows_a_secret(live: LivePlatform) -> None:
    """What a user of the UI can see, through the webserver's GraphQL: runs (tags, config), every event of every
    run (messages, metadata, errors with stacks, check evaluations), captured stdout/stderr, resources and their
    configured values, sensor and schedule ticks, asset materializations, instance info and daemon errors."""
    sweep = Sweep(live.secrets())
    runs, text = graphql(live.ui_url, RUNS)
    sweep.text("GraphQL runs", text)
    run_ids = [r["runId"] for r in runs["runsOrError"]["results"]]
    log_keys = []
    for run_id in run_ids:
        after = None
        while True:
            data, text = graphql(live.ui_url, EVENTS, {"runId": run_id, "after": after})
            sweep.text("GraphQL event pages", text, run_id)
            page = data["logsForRun"]
            assert page["__typename"] == "EventConnection", page
            sweep.counts["events"] += len(page["events"])
            log_keys += [[run_id, "compute_logs", e["fileKey"]] for e in page["events"] if e.get("fileKey")]
            if not page["hasMore"]:
                break
            after = page["cursor"]
    for key in log_keys:
        data, text = graphql(live.ui_url, CAPTURED, {"key": key})
        logs = data["capturedLogs"]
        sweep.counts["captured log bytes"] += len(logs["stdout"] or "") + len(logs["stderr"] or "")
        sweep.text("GraphQL captured logs", text, "/".join(key))
    workspace, text = graphql(live.ui_url, WORKSPACE)
    sweep.text("GraphQL workspace/resources/ticks/instance", text)

    [location] = workspace["workspaceOrError"]["locationEntries"]
    [repo] = location["locationOrLoadError"]["repositories"]
    sources = next(r for r in repo["allTopLevelResourceDetails"] if r["name"] == "sources")
    shown = {v["key"]: (v["type"], v["value"]) for v in sources["configuredValues"]}
    # The UI names the environment variables; it never resolves them.
    assert shown == {"kis_app_key": ("ENV_VAR", "KIS_APP_KEY"), "kis_app_secret": ("ENV_VAR", "KIS_APP_SECRET"),
                     "krx_auth_key": ("ENV_VAR", "KRX_AUTH_KEY")}, shown
    assert len(run_ids) >= len(live.runs) and sweep.counts["events"] > 100 and log_keys
    report("ui", f"{len(run_ids)} runs, {len(log_keys)} captured logs; {sweep.summary()}")
    sweep.assert_clean()


def test_dagster_storage_holds_no_secret(live: LivePlatform) -> None:
    """Every table of Dagster's own database (runs, event logs, snapshots, ticks, key-values, partitions…)."""
    sweep = Sweep(live.secrets())
    sweep.database(live.dsn("kis_dagster"), "kis_dagster")
    assert sweep.counts["kis_dagster rows"] > 1000
    report("dagster storage", sweep.summary())
    sweep.assert_clean()


def test_market_database_and_landing_zone_hold_no_secret(live: LivePlatform) -> None:
    """Every table of the market database, raw_responses' bodies and request parameters included, and the
    quality tables (data_quality_issues, completeness) that keep failure details."""
    sweep = Sweep(live.secrets())
    sweep.database(live.dsn("kis_market"), "kis_market")
    with psycopg.connect(live.dsn("kis_market")) as conn:
        landed, failed = conn.execute("SELECT count(*), count(*) FILTER (WHERE status >= 400) FROM raw_responses"
                                      ).fetchone()
        params = [r[0] for r in conn.execute("SELECT DISTINCT jsonb_object_keys(params) FROM raw_responses")]
        columns = [r[0] for r in conn.execute("SELECT column_name FROM information_schema.columns "
                                              "WHERE table_name = 'raw_responses'")]
    assert not [c for c in columns if any(w in c for w in ("header", "auth", "key", "secret", "token"))], columns
    assert not [p for p in params if p.lower() in ("appkey", "appsecret", "authorization", "auth_key", "token")], params
    report("market db", f"{landed} landed responses ({failed} failed ones), request parameter keys {sorted(params)}; "
                        f"{sweep.summary()}")
    sweep.assert_clean()


def test_files_and_logs_hold_no_secret(live: LivePlatform) -> None:
    """Every file under KIS_PLATFORM_HOME but the designated secret files: the platform's logs (webserver,
    daemon, simulator), `up`'s own output, PostgreSQL's server log and data directory, Dagster's compute logs,
    event queue and instance files, the limiter's state, caches."""
    designated = {*live.home.glob("secrets/*.password"), live.home / "postgres" / "superuser.password",
                  *live.lease_files()}
    sweep = Sweep(live.secrets())
    sweep.files(live.home, skip=designated)
    sweep.text("files", live.up_log.read_bytes(), "output of `kis-platform up`")
    logs = sorted(p.name for p in (live.home / "logs").glob("*.log"))
    compute = len(list(live.home.glob("dagster/storage/*/compute_logs/*")))
    assert logs and compute and sweep.counts["files"] > 100, (logs, compute, sweep.counts)
    report("files", f"platform logs {logs}, {compute} compute-log files, designated secret files skipped "
                    f"{sorted(str(p.relative_to(live.home)) for p in designated)}; {sweep.summary()}")
    assert not sweep.skipped, sweep.skipped[:5]
    sweep.assert_clean()


def _is_loopback(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return (getattr(address, "ipv4_mapped", None) or address).is_loopback


def _platform_processes(live: LivePlatform) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "environ"]):
        try:
            text = " ".join(proc.info["cmdline"] or [])
            home = (proc.info["environ"] or {}).get("KIS_PLATFORM_HOME")
        except (psutil.Error, TypeError):
            continue
        if str(live.home) in text or home == str(live.home):
            found.append(proc)
    return found


def test_command_lines_hold_no_secret(live: LivePlatform) -> None:
    """`ps` shows command lines to every user: the platform's processes (up, simulator, webserver, daemon, code
    servers, PostgreSQL) must never carry a secret there. (Their environments do, by design, and only the
    owner and root can read those.)"""
    sweep = Sweep(live.secrets())
    processes = _platform_processes(live)
    for proc in processes:
        try:
            sweep.text("command lines", "\0".join(proc.cmdline()), f"pid {proc.pid}")
        except psutil.Error:
            continue
    names = sorted({p.name() for p in processes if p.is_running()})
    assert len(processes) >= 4, names
    report("command lines", f"processes {names}; {sweep.summary()}")
    sweep.assert_clean()


def test_secret_files_and_token_lease_are_owner_only(live: LivePlatform) -> None:
    """Where a secret must be stored it is mode 0600 in a directory no one else can list or enter."""
    home = live.home
    files = {p: 0o600 for p in (*home.glob("secrets/*.password"), home / "postgres" / "superuser.password",
                                *live.lease_files(), *(home / "state").glob("kis_token_*.lock"),
                                *(home / "state" / "limiter").glob("*"))}
    dirs = [home / "secrets", home / "state", home / "state" / "limiter", home / "postgres" / "data"]
    wrong = {str(p.relative_to(home)): oct(mode(p)) for p, want in files.items() if mode(p) != want}
    wrong |= {str(d.relative_to(home)): oct(mode(d)) for d in dirs if mode(d) & 0o077}
    assert len(live.lease_files()) == 1 and len(files) >= 6, sorted(map(str, files))
    lease = live.lease_files()[0]
    assert lease.stat().st_uid == (home / "state").stat().st_uid, "the token lease belongs to the platform's user"
    data = json.loads(lease.read_text())
    assert set(data) == {"access_token", "expires_at", "issued_at"}, "the lease keeps the token and its times only"
    report("file modes", f"checked {len(files)} files (want 0600) and {len(dirs)} directories (want no group/other "
                         f"access): {sorted(str(p.relative_to(home)) for p in [*files, *dirs])}")
    assert not wrong, f"too open: {wrong}"


def _other_addresses() -> list[str]:
    return sorted({a.address for addrs in psutil.net_if_addrs().values() for a in addrs
                   if a.family == socket.AF_INET and not a.address.startswith("127.")})


def test_every_platform_socket_listens_on_loopback(live: LivePlatform) -> None:
    """The webserver, the simulator (whose /__sim admin API changes faults and the clock), PostgreSQL and any
    code server listen on 127.0.0.1 only; connecting through the machine's other addresses is refused."""
    pids = {p.pid for p in _platform_processes(live)}
    listening = [c for c in psutil.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN and c.pid in pids]
    by_port = {c.laddr.port: c.laddr.ip for c in listening}
    for name, port in live.ports.items():
        assert by_port.get(port) == "127.0.0.1", f"{name} port {port}: {by_port.get(port)}"
    # gRPC (the code server) binds 127.0.0.1 on a dual-stack socket, listed as ::ffff:127.0.0.1: loopback too.
    exposed = {port: ip for port, ip in by_port.items() if not _is_loopback(ip)}
    names = {port: name for name, port in live.ports.items()}
    tried = []
    for address in _other_addresses():
        for port in sorted(by_port):  # every listening socket of the platform, the code server's included
            name = names.get(port, "listener")
            with socket.socket() as sock:
                sock.settimeout(3)
                refused = sock.connect_ex((address, port)) != 0
            tried.append(f"{name}@{address}:{port} {'refused' if refused else 'ACCEPTED'}")
            assert refused, f"{name} accepts connections on {address}:{port}"
    assert httpx.get(f"{live.sim_url}/__sim/stats", timeout=10).status_code == 200  # loopback is served
    report("listeners", f"{len(listening)} listening sockets of {len(pids)} platform processes: {sorted(by_port.items())}; "
                        f"tried {tried or 'no non-loopback address on this machine'}")
    assert not exposed, f"listening beyond loopback: {exposed}"


def test_analyst_cannot_read_dagster_storage_or_write_market_data(live: LivePlatform) -> None:
    """With the password `kis-platform db` hands out, the analyst reads market data and nothing of Dagster's."""
    password = live.role_password("kis_analyst")
    with psycopg.connect(live.dsn("kis_market", "kis_analyst", password), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM daily_bars").fetchone()[0] > 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT params, body FROM raw_responses LIMIT 1")
    refused = []
    try:
        conn = psycopg.connect(live.dsn("kis_dagster", "kis_analyst", password), autocommit=True)
    except psycopg.OperationalError:
        refused.append("connect")
    else:
        with conn:
            tables = [r[0] for r in conn.execute(
                "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables WHERE schemaname NOT IN "
                "('pg_catalog', 'information_schema')")]
            readable = [t for t in tables if conn.execute("SELECT has_table_privilege(%s, 'SELECT')", (t,)).fetchone()[0]]
            assert tables and not readable, readable
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("SELECT run_body FROM runs LIMIT 1")
            refused.append(f"SELECT on all {len(tables)} tables")
    report("analyst vs dagster storage", f"kis_dagster refused the analyst: {refused}")
