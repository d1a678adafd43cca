"""Bad configuration gives one actionable line and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from kis_platform_tests.foundation.platform_proc import free_port, platform_env, run_cli


def _assert_one_line_error(result, fragment: str) -> None:  # noqa: ANN001
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("kis-platform: error: ") and fragment in lines[0], lines[0]


@pytest.mark.parametrize(
    ("extra", "fragment"),
    [
        ({"DATABASE_URL": "postgres//nohost"}, "DATABASE_URL is malformed"),
        ({"KIS_ENV": "real"}, "KIS_APP_KEY is not set but KIS_ENV=real"),
        ({"KIS_ENV": "bogus"}, "KIS_ENV='bogus' is not valid"),
    ],
)
def test_bad_settings_for_up_and_db(tmp_path: Path, extra: dict[str, str], fragment: str) -> None:
    for command in (["up"], ["db", "upgrade"]):
        _assert_one_line_error(run_cli(command, platform_env(tmp_path, **extra)), fragment)


def test_unreachable_database_url(tmp_path: Path) -> None:
    port = free_port(56100)
    env = platform_env(tmp_path, DATABASE_URL=f"postgresql://u:p@127.0.0.1:{port}/market")
    _assert_one_line_error(run_cli(["db", "upgrade"], env), f"cannot connect to DATABASE_URL at postgresql://u:***@127.0.0.1:{port}")


def test_ui_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        env = platform_env(tmp_path, KIS_PLATFORM_UI_PORT=str(port))
        _assert_one_line_error(run_cli(["up"], env), f"port {port} on 127.0.0.1 is in use")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; covered by the read-only-path case below")
def test_unwritable_home_as_user(tmp_path: Path) -> None:
    home = tmp_path / "ro"
    home.mkdir(mode=0o500)
    _assert_one_line_error(run_cli(["up"], platform_env(home)), "is not writable")


def test_unwritable_home(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    _assert_one_line_error(run_cli(["up"], platform_env(blocker / "home")), "is not writable")
