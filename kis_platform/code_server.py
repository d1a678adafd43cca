"""The platform's code server: Dagster's gRPC code server whose run workers are forked from a warm process.

Dagster's code server starts every run in a new `spawn` process that imports dagster, pandas, pandera and the code
location again: about 8 CPU-seconds before the first step, once a minute per minute run (docs/benchmarks.md). Here
the run workers come from a `forkserver` that imported the code location once (bench intraday, session 4: every
run's first step started within 0.8 s of the run's start event). Everything else is Dagster's own `dagster api grpc` command, unchanged.

A run worker forked this way runs the code as it was when the code server started: restart the code server (or
`kis-platform up`) after changing the code, as with any standalone code server.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import sys
import threading
from multiprocessing.context import BaseContext

CODE_LOCATION_MODULE = "kis_platform.definitions"
LOCATION_NAME = "kis_platform"


def warm_context(preload: list[str]) -> BaseContext:
    """A forkserver context whose server has imported `preload` (started in the background, so the code server
    answers at once; the first run waits for the import only if it comes before the import has finished)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(preload)
    threading.Thread(target=multiprocessing.forkserver.ensure_running, name="forkserver-warmup", daemon=True).start()
    return context


def use_warm_run_workers(context: BaseContext) -> None:
    """Make Dagster's gRPC API server start run workers from `context` instead of a fresh spawn."""
    from dagster._grpc import server as grpc_server

    original_init = grpc_server.DagsterApiServer.__init__

    def init(self: grpc_server.DagsterApiServer, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        # A Dagster upgrade that renames the attribute must fail here, not silently fall back to spawn.
        if not isinstance(getattr(self, "_mp_ctx", None), BaseContext):
            raise RuntimeError("dagster's DagsterApiServer has no _mp_ctx any more: "
                               "kis_platform.code_server needs updating for this dagster version")
        self._mp_ctx = context

    grpc_server.DagsterApiServer.__init__ = init  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    """`python -m kis_platform.code_server --port N [--host H]`: serve the code location over gRPC."""
    from dagster._cli.api import grpc_command

    use_warm_run_workers(warm_context([CODE_LOCATION_MODULE]))
    args = list(sys.argv[1:] if argv is None else argv)
    grpc_command.main(["--module-name", CODE_LOCATION_MODULE, "--location-name", LOCATION_NAME, *args],
                      prog_name="kis_platform.code_server")


if __name__ == "__main__":
    main()
