"""The code location loads the way Dagster loads it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from kis_platform.settings import REPO_ROOT

BIN = Path(sys.executable).parent


def test_definitions_validate_like_dagster(tmp_path: Path) -> None:
    # An empty DAGSTER_HOME: validation must not depend on the PostgreSQL-backed instance of `up`.
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path))
    result = subprocess.run(
        [str(BIN / "dagster"), "definitions", "validate", "-w", str(REPO_ROOT / "workspace.yaml")],
        capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation successful" in result.stdout + result.stderr


def test_definitions_object_resolves() -> None:
    from kis_platform.definitions import defs

    assert isinstance(defs, dg.Definitions)
    defs.get_repository_def()  # raises on any inconsistent asset graph, missing resource or bad job
