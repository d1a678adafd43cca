"""Helpers to run `kis-platform` as a real process, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from kis_platform.settings import REPO_ROOT
from kis_platform.storage.embedded import free_port  # noqa: F401 - the tests' port picker

BIN = Path(sys.executable).parent
PLATFORM_VARS = ("KIS_", "DATABASE_URL", "DAGSTER_", "KRX_")


def platform_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: none of the developer's platform variables leak into the test."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(PLATFORM_VARS)}
    env.update(KIS_PLATFORM_HOME=str(home), **extra)
    return env


def run_cli(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "kis-platform"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, cwd=REPO_ROOT)
