"""`kis-platform up` as a user runs it: UI served with the code location loaded, Ctrl-C leaves nothing behind,
the next `up` finds the same data; with DATABASE_URL the embedded server is never started."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from kis_platform.launcher import code_locations
from kis_platform.settings import REPO_ROOT
from kis_platform_tests.conftest import PgServer
from kis_platform_tests.foundation.platform_proc import BIN, free_port, platform_env, run_cli


def _start_up(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([str(BIN / "kis-platform"), "up"], env=env, cwd=REPO_ROOT,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def _wait_for_ui(proc: subprocess.Popen[bytes], log: Path, url: str, seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        if "Dagster UI:" in log.read_text():
            assert httpx.get(f"{url}/server_info", timeout=5).status_code == 200
            return
        time.sleep(0.5)
    pytest.fail(f"`up` did not serve the UI in {seconds} s: {log.read_text()}")


def _processes_using(home: Path) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline", "environ"]):
        try:
            text = " ".join(proc.info["cmdline"] or []) + " " + str((proc.info["environ"] or {}).get("KIS_PLATFORM_HOME"))
        except (psutil.Error, TypeError):
            continue
        if str(home) in text:
            found.append(proc)
    return found


def _interrupt(proc: subprocess.Popen[bytes], home: Path) -> None:
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=90) == 0
    leftovers = [p for p in _processes_using(home) if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert leftovers == [], [p.cmdline() for p in leftovers]


def test_up_serves_ui_stops_cleanly_and_reuses_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ui_port, pg_port = free_port(3100), free_port(56300)
    env = platform_env(home, KIS_PLATFORM_UI_PORT=str(ui_port), KIS_PLATFORM_PG_PORT=str(pg_port),
                       KIS_SIM_PORT=str(free_port(18200)))
    url = f"http://127.0.0.1:{ui_port}"

    first = _start_up(env, tmp_path / "up1.log")
    try:
        _wait_for_ui(first, tmp_path / "up1.log", url)
        assert code_locations(url) == {"kis_platform": None}
        assert "code location kis_platform: loaded" in (tmp_path / "up1.log").read_text()
        # one code server, whose run workers fork from a process that imported the code location once
        servers = [p for p in _processes_using(home) if "kis_platform.code_server" in " ".join(p.cmdline())]
        assert len(servers) == 1, [p.cmdline() for p in _processes_using(home)]
        forkservers = [" ".join(c.cmdline()) for c in servers[0].children()]
        assert any("forkserver" in c and "kis_platform.definitions" in c for c in forkservers), forkservers
        # storage queries through the webserver work (regression: psycopg 3 connections closed by dagster-postgres)
        runs = httpx.post(f"{url}/graphql", timeout=60, json={"query": "{ runsOrError { __typename } instance { daemonHealth { allDaemonStatuses { daemonType } } } }"}).json()
        assert "errors" not in runs and runs["data"]["runsOrError"]["__typename"] == "Runs", runs
        password = (home / "postgres" / "superuser.password").read_text().strip()
        exposed = [p.info["cmdline"] for p in psutil.process_iter(["cmdline"]) if password in " ".join(p.info["cmdline"] or [])]
        assert exposed == []
        dsn = f"postgresql://postgres:{(home / 'postgres' / 'superuser.password').read_text().strip()}@127.0.0.1:{pg_port}/kis_market"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE TABLE up_marker (note text)")
            conn.execute("INSERT INTO up_marker VALUES ('kept')")
    finally:
        _interrupt(first, home)

    second = _start_up(env, tmp_path / "up2.log")
    try:
        _wait_for_ui(second, tmp_path / "up2.log", url)
        with psycopg.connect(dsn) as conn:
            assert conn.execute("SELECT note FROM up_marker").fetchall() == [("kept",)]
    finally:
        _interrupt(second, home)


def test_database_url_uses_that_server_and_never_starts_one(tmp_path: Path, pg_server: PgServer) -> None:
    market = pg_server.create_db()
    try:
        home = tmp_path / "home"
        env = platform_env(home, DATABASE_URL=market)
        result = run_cli(["db", "upgrade"], env)
        assert result.returncode == 0, result.stderr
        assert "external PostgreSQL" in result.stdout and "storage path: plain" in result.stdout
        assert not (home / "postgres").exists()
        with psycopg.connect(market) as conn:
            assert conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0] >= 0
        # Dagster's storage database was created next to the market database
        dagster_db = market.rsplit("/", 1)[1] + "_dagster"
        with psycopg.connect(pg_server.admin_dsn()) as conn:
            assert conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dagster_db,)).fetchone()
        status = run_cli(["db", "status"], env)
        assert status.returncode == 0 and "not for this path: 0001_timescaledb.timescale" in status.stdout
    finally:
        pg_server.drop_db(market)
        with psycopg.connect(pg_server.admin_dsn(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{market.rsplit("/", 1)[1]}_dagster" WITH (FORCE)')
