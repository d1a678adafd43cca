"""Investor flows by stock and day: who bought and who sold the day's volume.

Every share traded has one buyer and one seller, so buy and sell quantities each sum to the day's volume over
the investor types and net buying sums to zero. Amounts (million KRW) are allocated with exact integer sums so
their net also sums to zero. `fund` is 연기금 (pension funds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEAVES = ("frgn_reg", "frgn_nreg", "prsn", "scrt", "ivtr", "pe_fund", "bank", "insu", "mrbn", "fund",
          "etc_corp", "etc_orgt")
GROUPS = {
    "frgn": ("frgn_reg", "frgn_nreg"),
    "orgn": ("scrt", "ivtr", "pe_fund", "bank", "insu", "mrbn", "fund"),
    "etc": ("etc_corp", "etc_orgt"),
}
_ALPHA = np.array([6.0, 0.2, 12.0, 1.0, 1.5, 0.8, 0.3, 0.8, 0.1, 2.5, 1.2, 0.1])


@dataclass(frozen=True)
class Flows:
    """Buy/sell quantity (shares) and amount (million KRW) per investor type (leaves and groups)."""

    buy_qty: dict[str, int]
    sell_qty: dict[str, int]
    buy_amt: dict[str, int]
    sell_amt: dict[str, int]

    def net_qty(self, k: str) -> int:
        return self.buy_qty[k] - self.sell_qty[k]

    def net_amt(self, k: str) -> int:
        return self.buy_amt[k] - self.sell_amt[k]


def split_exact(total: int, weights: np.ndarray) -> np.ndarray:
    """Largest-remainder split of an integer total by weights."""
    if weights.sum() <= 0:
        return np.zeros(len(weights), dtype=np.int64)
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    out[np.argsort(out - raw)[: total - int(out.sum())]] += 1
    return out


def flows(seed: int, stock_idx: int, ordinal: int, volume: int, value: int) -> Flows:
    rng = np.random.default_rng([seed, 12, stock_idx, ordinal])
    amt_total = round(value / 1e6)
    sides = []
    for _ in range(2):
        qty = rng.multinomial(volume, rng.dirichlet(_ALPHA))
        amt = split_exact(amt_total, qty * rng.uniform(0.98, 1.02, len(LEAVES)))
        sides.append((qty, amt))
    out = []
    for qty, amt in sides:
        q = dict(zip(LEAVES, (int(x) for x in qty)))
        a = dict(zip(LEAVES, (int(x) for x in amt)))
        for g, members in GROUPS.items():
            q[g] = sum(q[m] for m in members)
            a[g] = sum(a[m] for m in members)
        out.append((q, a))
    (bq, ba), (sq, sa) = out
    return Flows(bq, sq, ba, sa)
