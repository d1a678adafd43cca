"""Where a secret must be stored, only its owner can read it: tried with the most permissive umask (0), so that
nothing relies on the user's umask, and with directories an older version left open."""

from __future__ import annotations

import os
import pwd
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kis_platform.ops.backup import backup
from kis_platform.private_files import private_dir, replace_file, write_private
from kis_platform.settings import load_settings
from kis_platform.sources.kis.auth import IssuedToken, TokenLease
from kis_platform.sources.limiter import SharedLimiter
from kis_platform.storage.admin import role_password
from kis_platform.storage.embedded import SERVICE_USER, EmbeddedPostgres, EmbeddedPostgresError
from kis_platform_tests.security.sweep import mode, report


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def _issue() -> IssuedToken:
    return IssuedToken("token-value-of-the-test", time.time() + 3600, time.time())


def test_token_lease_is_owner_only(tmp_path: Path, open_umask: None) -> None:
    state = tmp_path / "home" / "state"
    lease = TokenLease(state, "K" * 36, "http://127.0.0.1:1", _issue)
    assert lease.token() == "token-value-of-the-test"
    modes = {"state dir": mode(state), "lease": mode(lease.path), "lock": mode(lease.lock_path)}
    report("token lease", f"umask 0: { {k: oct(v) for k, v in modes.items()} }")
    assert modes == {"state dir": 0o700, "lease": 0o600, "lock": 0o600}


def test_replaced_file_is_owner_only_unless_asked_and_leaves_no_temp_file(tmp_path: Path, open_umask: None) -> None:
    cache = tmp_path / "cache" / "list.json"
    replace_file(cache, "old")
    replace_file(cache, "new")
    shared = tmp_path / "shared.json"
    replace_file(shared, "{}", mode=0o644)
    report("replace_file", f"umask 0: default {oct(mode(cache))}, asked 0o644 {oct(mode(shared))}")
    assert cache.read_text() == "new" and mode(cache) == 0o600 and mode(shared) == 0o644
    assert sorted(p.name for p in cache.parent.iterdir()) == ["list.json"]


def test_open_state_dir_left_by_an_older_version_is_tightened(tmp_path: Path, open_umask: None) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o777)
    assert mode(state) == 0o777
    SharedLimiter(state).acquire("kis")
    TokenLease(state, "K" * 36, "http://127.0.0.1:1", _issue).token()
    buckets = sorted((state / "limiter").iterdir())
    report("state dir", f"0777 state dir -> {oct(mode(state))}; limiter dir {oct(mode(state / 'limiter'))}; "
                        f"bucket files {[oct(mode(b)) for b in buckets]}")
    assert mode(state) == 0o700 and mode(state / "limiter") == 0o700
    assert buckets and all(mode(b) == 0o600 for b in buckets)


def test_role_passwords_are_created_owner_only(tmp_path: Path, open_umask: None) -> None:
    settings = load_settings({"KIS_PLATFORM_HOME": str(tmp_path / "home")})
    (tmp_path / "home" / "secrets").mkdir(parents=True, mode=0o755)  # left open by hand or an older version
    first = role_password(settings, "kis_analyst")
    path = tmp_path / "home" / "secrets" / "kis_analyst.password"
    assert role_password(settings, "kis_analyst") == first  # generated once
    report("role passwords", f"umask 0: secrets dir {oct(mode(path.parent))}, password file {oct(mode(path))}")
    assert mode(path) == 0o600 and mode(path.parent) == 0o700


def test_private_files_never_exist_with_a_looser_mode(tmp_path: Path, open_umask: None) -> None:
    """The file is created 0600 (not written, then chmod-ed: that leaves a moment where others can read it),
    and an existing file is never overwritten."""
    target = private_dir(tmp_path / "a" / "b") / "superuser.password"
    assert write_private(target, "first\n") and mode(target) == 0o600 and mode(target.parent) == 0o700
    assert not write_private(target, "second\n") and target.read_text() == "first\n"


def test_backups_are_kept_where_only_the_owner_can_read(market_db: str, tmp_path: Path) -> None:
    """A dump is the whole market database, landing zone included: as private as the data directory."""
    result = backup(market_db, tmp_path / "backups")
    report("backups", f"backup dir {oct(mode(result.path.parent))}, dump {oct(mode(result.path))}")
    assert mode(result.path.parent) == 0o700


def test_initdb_reads_the_superuser_password_from_a_private_file(tmp_path: Path, open_umask: None,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy of the superuser password that initdb reads is 0600 and belongs to the user initdb runs as (the
    service user when the platform runs as root), for as long as it exists; then it is gone."""
    seen: dict[str, object] = {}

    def initdb_stand_in(self: EmbeddedPostgres, tool: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        pwfile = Path(next(a for a in args if a.startswith("--pwfile=")).split("=", 1)[1])
        st = pwfile.stat()
        seen.update(tool=tool, mode=stat.S_IMODE(st.st_mode), owner=pwd.getpwuid(st.st_uid).pw_name,
                    same=pwfile.read_text() == self.password_file.read_text())
        return subprocess.CompletedProcess([tool, *args], 1, "", "stopped by the test")

    monkeypatch.setattr(EmbeddedPostgres, "_run", initdb_stand_in)
    server = EmbeddedPostgres(root=tmp_path / "postgres", port=1)
    with pytest.raises(EmbeddedPostgresError):
        server.start()
    runs_as = SERVICE_USER if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name
    report("initdb password", f"umask 0: the file initdb reads was {oct(seen['mode'])} owned by {seen['owner']}; "
                              f"superuser.password {oct(mode(server.password_file))}; copy removed: "
                              f"{not (server.root / '.initdb.pw').exists()}")
    assert seen == {"tool": "initdb", "mode": 0o600, "owner": runs_as, "same": True}
    assert mode(server.password_file) == 0o600 and not (server.root / ".initdb.pw").exists()
