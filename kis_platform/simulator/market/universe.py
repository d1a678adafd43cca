"""The listed stocks of the simulated market: codes, ISINs, names, markets, index membership and life events.

Everything is derived from the seed. The default watch list (settings.DEFAULT_SYMBOLS) is present with real
names; the rest are generated names. Life events: listings and delistings over the years, one rename, one
KOSDAQ->KOSPI market move and one stock split (see `Events`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from kis_platform.simulator.market.codes import stock_isin
from kis_platform.simulator.market.names import KOSDAQ_SECTIONS, LARGE_CAPS, generated_name, spac_name
from kis_platform.simulator.market.ticks import round_tick

EPOCH = date(2015, 1, 1)  # the model starts here; older listings are treated as listed since the epoch
ALPHANUMERIC_FROM = date(2024, 7, 1)  # new short codes from here on may contain a letter (0037T0)


@dataclass(frozen=True)
class Stock:
    """One listed stock. `market`, `name` are the values at the end of history; use `Universe` for a day."""

    idx: int
    code: str
    isin: str
    name: str
    eng_name: str
    market: str  # "KOSPI" or "KOSDAQ"
    industry: str
    section: str  # KOSDAQ 소속부; "-" on KOSPI
    listed: date  # listing date (may precede the model's epoch; the model starts trading it at the epoch)
    delisted: date | None  # last trading day
    shares: int
    par: int
    spac: bool = False


@dataclass(frozen=True)
class Events:
    """Corporate events that change how a stock looks over time."""

    renames: dict[str, tuple[date, str, str]] = field(default_factory=dict)  # code -> (from, old, new name)
    moves: dict[str, tuple[date, str, str]] = field(default_factory=dict)  # code -> (from, old, new market)
    splits: dict[str, tuple[date, int]] = field(default_factory=dict)  # code -> (first day, ratio)


class Universe:
    """All stocks plus per-stock model parameters as numpy arrays (index = Stock.idx)."""

    def __init__(self, seed: int, n_stocks: int = 2900, history_end: date = date(2026, 12, 31)) -> None:
        rng = np.random.default_rng([seed, 1])
        self.stocks: list[Stock] = []
        ref_price: list[float] = []
        used = {c[0] for c in LARGE_CAPS}
        for code, ko, en, mkt, ind, price, shares_m, listed in LARGE_CAPS:
            d = date.fromisoformat(listed)
            section = "우량기업부" if mkt == "KOSDAQ" else "-"
            self._add(code, ko, en, mkt, ind, section, d, None, int(shares_m * 1e6), 100 if mkt == "KOSPI" else 500)
            ref_price.append(price)
        span = (history_end - EPOCH).days
        k = 0
        n_gen = n_stocks - len(LARGE_CAPS)
        for j in range(n_gen):
            mkt = "KOSPI" if rng.random() < 0.37 else "KOSDAQ"
            new = rng.random() < 0.15
            listed = date.fromordinal(EPOCH.toordinal() + int(rng.integers(30, span - 20) if new
                                                                 else -int(rng.integers(30, 14_000))))
            spac = mkt == "KOSDAQ" and new and rng.random() < 0.12
            if j == 0:  # a fixed alphanumeric code that client tests can name
                mkt, listed, spac, code = "KOSDAQ", date(2025, 9, 24), False, "0037T0"
            else:
                code = _new_code(rng, used, listed >= ALPHANUMERIC_FROM)
            used.add(code)
            if spac:
                ko, en = spac_name(j)
                ind = "금융업"
            else:
                ko, en, ind = generated_name((k * 2153) % 5200)
                k += 1
            delisted = None
            if rng.random() < 0.07 and not spac:
                first = max(listed.toordinal() + 90, EPOCH.toordinal() + 200)
                if first < history_end.toordinal() - 30:
                    delisted = date.fromordinal(int(rng.integers(first, history_end.toordinal() - 10)))
            section = rng.choice(KOSDAQ_SECTIONS) if mkt == "KOSDAQ" else "-"
            median = 15_000 if mkt == "KOSPI" else 7_000
            price = 2_000 if spac else float(np.clip(median * np.exp(rng.normal(0, 1.1)), 600, 900_000))
            shares = int(np.clip((2.5e7 if mkt == "KOSPI" else 1.5e7) * np.exp(rng.normal(0, 0.9)), 2e6, 5e8))
            par = int(rng.choice([100, 500, 500, 1000, 5000])) if mkt == "KOSPI" else int(rng.choice([100, 500, 500]))
            self._add(code, ko, en, mkt, ind, str(section), listed, delisted, shares, par, spac)
            ref_price.append(price)
        self.n = len(self.stocks)
        self.by_code = {s.code: s for s in self.stocks}
        self.ref_price = round_tick(np.array(ref_price)).astype(float)
        self.shares = np.array([s.shares for s in self.stocks], dtype=np.int64)
        self.is_kospi_end = np.array([s.market == "KOSPI" for s in self.stocks])
        liquid = rng.random(self.n) < 0.88
        liquid[: len(LARGE_CAPS)] = True
        turnover = np.where(liquid, np.exp(rng.normal(np.log(0.006), 0.8, self.n)), rng.uniform(2e-5, 1.5e-4, self.n))
        turnover[: len(LARGE_CAPS)] = 0.0025
        self.base_volume = np.maximum(self.shares * turnover, 40.0)
        self.vol = np.clip(rng.normal(0.02, 0.006, self.n) + np.where(self.is_kospi_end, 0, 0.006), 0.008, 0.05)
        self.vol[: len(LARGE_CAPS)] = 0.016
        self.beta = np.clip(rng.normal(1.0, 0.25, self.n), 0.3, 1.8)
        self.spac = np.array([s.spac for s in self.stocks])
        self.vol[self.spac], self.beta[self.spac] = 0.004, 0.05
        self.foreign_ratio = np.clip(rng.beta(1.2, 6, self.n) * 100, 0, 99)
        self.events = self._pick_events()
        self._listed_ord = np.array([s.listed.toordinal() for s in self.stocks])
        self._delisted_ord = np.array([s.delisted.toordinal() if s.delisted else 10**7 for s in self.stocks])
        cap = self.ref_price * self.shares
        self.kospi200 = _top(cap, self._market_mask("KOSPI"), 200)
        self.kosdaq150 = _top(cap, self._market_mask("KOSDAQ"), 150)

    def _add(self, code, ko, en, mkt, ind, section, listed, delisted, shares, par, spac=False) -> None:
        self.stocks.append(Stock(len(self.stocks), code, stock_isin(code), ko, en, mkt, ind, section, listed,
                                 delisted, shares, par, spac))

    def _market_mask(self, market: str) -> np.ndarray:
        return np.array([s.market == market and s.delisted is None and not s.spac for s in self.stocks])

    def _pick_events(self) -> Events:
        """Deterministic choice among generated, always-listed stocks (never the watch list)."""
        cands = [s for s in self.stocks[len(LARGE_CAPS):] if s.listed < EPOCH and s.delisted is None and not s.spac]
        kospi = [s for s in cands if s.market == "KOSPI" and self.ref_price[s.idx] >= 50_000]
        kosdaq = [s for s in cands if s.market == "KOSDAQ"]
        split, renamed, mover = kospi[0], kospi[1], kosdaq[3]
        new_name = renamed.name + "홀딩스"
        return Events(
            renames={renamed.code: (date(2026, 3, 3), renamed.name, new_name)},
            moves={mover.code: (date(2026, 7, 1), "KOSDAQ", "KOSPI")},
            splits={split.code: (date(2026, 5, 11), 5)},
        )

    # ---- point-in-time views -------------------------------------------------------------------------------
    def name_on(self, s: Stock, d: date) -> str:
        ev = self.events.renames.get(s.code)
        return ev[1] if ev and d < ev[0] else (ev[2] if ev else s.name)

    def market_on(self, s: Stock, d: date) -> str:
        ev = self.events.moves.get(s.code)
        if ev:
            return ev[1] if d < ev[0] else ev[2]
        return s.market

    def listed_on(self, s: Stock, d: date) -> bool:
        return s.listed <= d and (s.delisted is None or d <= s.delisted)

    def split_ratio_before(self, s: Stock, d: date) -> int:
        """Raw/adjusted price ratio on day d: the split ratio before the split date, else 1."""
        ev = self.events.splits.get(s.code)
        return ev[1] if ev and d < ev[0] else 1

    def markets_on(self, d: date) -> np.ndarray:
        """Boolean array: True where the stock is on KOSPI on day d (False = KOSDAQ)."""
        out = self.is_kospi_end.copy()
        for code, (day, old, new) in self.events.moves.items():
            out[self.by_code[code].idx] = (old if d < day else new) == "KOSPI"
        return out

    def listed_mask(self, d: date) -> np.ndarray:
        o = d.toordinal()
        return (self._listed_ord <= o) & (o <= self._delisted_ord)


def _new_code(rng: np.random.Generator, used: set[str], alphanumeric: bool) -> str:
    while True:
        if alphanumeric:
            code = f"00{int(rng.integers(0, 100)):02d}{'ABCDEFGHJKLMNPRSTUVWXYZ'[int(rng.integers(0, 23))]}0"
        else:
            code = f"{int(rng.integers(1000, 99999)):05d}0"
        if code not in used:
            return code


def _top(cap: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    out = np.zeros(len(cap), dtype=bool)
    idx = np.flatnonzero(mask)
    out[idx[np.argsort(-cap[idx])[:k]]] = True
    return out
