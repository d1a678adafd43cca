"""Everything one running simulator holds: config, clock, market, tokens, limits, faults and stats."""

from __future__ import annotations

from kis_platform.simulator.clock import SimClock
from kis_platform.simulator.config import SimConfig
from kis_platform.simulator.faults import Faults
from kis_platform.simulator.kis.auth import TokenStore
from kis_platform.simulator.limits import DailyCounter, TokenBucket
from kis_platform.simulator.market import Market
from kis_platform.simulator.stats import Stats


class SimState:
    """The shared state behind the HTTP app."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.clock = SimClock(config.clock, config.start, config.speed)
        self.market = Market(config.seed, config.n_stocks, tuple(config.extra_holidays))
        self.tokens = TokenStore(config.seed, config.token_lifetime, config.token_min_interval,
                                 config.token_reuse_window)
        self.bucket = TokenBucket(config.rate)
        self.krx_counter = DailyCounter()
        self.faults = Faults(config.seed, config.faults, now=self.clock.now)
        self.stats = Stats()
        self.run_fault_actions()

    def run_fault_actions(self) -> None:
        """Run queued one-shot faults (token revocation / expiry)."""
        while self.faults.pending_actions:
            action = self.faults.pending_actions.pop(0)
            if action == "revoke_tokens":
                self.tokens.revoke_all()
            elif action == "expire_tokens":
                self.tokens.expire_all()
            self.stats.fault(action)

    def reset(self) -> None:
        """Forget stats, tokens and rate-limit state (market and faults stay)."""
        self.stats.reset()
        self.tokens.reset()
        self.bucket.reset()
        self.krx_counter.reset()

    @property
    def krx_limit(self) -> int:
        return self.faults.get("krx_daily_limit") or self.config.krx_daily_limit
