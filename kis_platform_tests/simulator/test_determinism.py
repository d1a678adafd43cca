"""Same seed and clock -> the same bytes; another seed -> another market."""

from __future__ import annotations

from kis_platform.simulator import SimConfig, run_in_thread
from kis_platform_tests.simulator.conftest import NOW, Kis, daily_chart, krx, minutes_past, minutes_today


def bodies(seed: int) -> list[bytes]:
    with run_in_thread(SimConfig(seed=seed, clock="fixed", start=NOW, rate_per_second=1000)) as s:
        k = Kis(s.base_url)
        return [minutes_today(k).content, minutes_past(k, "000660").content, daily_chart(k, "035420").content,
                krx(k.http, "sto/ksq_bydd_trd", "20261118").content]


def test_same_seed_same_bytes_other_seed_other_market():
    a, b, c = bodies(7), bodies(7), bodies(8)
    assert a == b
    assert all(x != y for x, y in zip(a, c))
