"""An HTTP server that speaks the KIS and KRX Open APIs over a deterministic, seeded market, with faults.

Start it from tests with `run_in_thread(SimConfig(...))` or `start_process(port, ...)`; from a shell with
`kis-platform simulator` or `python -m kis_platform.simulator`. See docs/simulator.md.
"""

from kis_platform.simulator.config import SimConfig
from kis_platform.simulator.server import RunningSimulator, run_in_thread, start_process, wait_ready

__all__ = ["RunningSimulator", "SimConfig", "run_in_thread", "start_process", "wait_ready"]
