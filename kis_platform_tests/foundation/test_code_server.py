"""The code server hands Dagster's gRPC API server a warm forkserver context for run workers."""

from __future__ import annotations

import logging
import multiprocessing
import threading
from pathlib import Path

import pytest
from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
from dagster._grpc.server import DagsterApiServer
from dagster._core.utils import FuturesAwareThreadPoolExecutor

from kis_platform import code_server

TINY_DEFS = """
import dagster as dg

@dg.asset
def one() -> int:
    return 1

defs = dg.Definitions(assets=[one])
"""


def test_run_workers_come_from_the_given_context(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DagsterApiServer, "__init__", DagsterApiServer.__init__)  # restored after the test
    context = multiprocessing.get_context("forkserver")
    code_server.use_warm_run_workers(context)
    (tmp_path / "tiny_defs.py").write_text(TINY_DEFS)
    with FuturesAwareThreadPoolExecutor(max_workers=1) as pool:
        server = DagsterApiServer(server_termination_event=threading.Event(), logger=logging.getLogger("test"),
                                  server_threadpool_executor=pool,
                                  loadable_target_origin=LoadableTargetOrigin(python_file=str(tmp_path / "tiny_defs.py")))
        assert server._mp_ctx is context  # StartRun builds every run worker from this context


def test_the_warm_context_preloads_the_code_location() -> None:
    context = code_server.warm_context([code_server.CODE_LOCATION_MODULE])
    assert context.get_start_method() == "forkserver"
    assert multiprocessing.forkserver._forkserver._preload_modules == [code_server.CODE_LOCATION_MODULE]
