"""The deterministic, seeded market behind the simulator (stocks, indices, futures, options, flows)."""

from kis_platform.simulator.market.model import DayBar, Market

__all__ = ["DayBar", "Market"]
