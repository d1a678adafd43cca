"""The simulator as a separate OS process (python -m kis_platform.simulator)."""

from __future__ import annotations

import socket

import httpx

from kis_platform.simulator import start_process, wait_ready


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_start_process_serves_and_stops():
    port = free_port()
    proc = start_process(port, "--clock", "fixed", "--start", "2026-11-20T10:00:00+09:00", "--seed", "3")
    try:
        wait_ready(f"http://127.0.0.1:{port}", timeout=120)
        assert httpx.get(f"http://127.0.0.1:{port}/__sim/now").json()["now"] == "2026-11-20T10:00:00+09:00"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
