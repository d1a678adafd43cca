"""The client benchmark runs end to end (short) and reports the figures the CLI prints."""

from __future__ import annotations

import pytest

pytest.importorskip("kis_platform.simulator.server")


def test_bench_client_short_run(capsys):
    from kis_platform.bench.client import run

    report = run(["--seconds", "3"])
    assert {"rate_utilisation", "rate_violations", "requests", "token_issuances", "seconds"} <= set(report)
    assert report["rate_violations"] == 0 and report["token_issuances"] == 1 and report["seconds"] == 3.0
    assert report["workers_reporting"] == 4 and report["requests"] > 0 and not report["errors"]
    assert 0 < report["rate_utilisation"] <= 1.1
    assert "rate violations 0" in capsys.readouterr().out
