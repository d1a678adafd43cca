"""1-minute stock bars of one (stock, session), constructed to aggregate exactly to the day's OHLCV.

Bars are labelled by their START minute. The 09:00 bar holds the opening auction print (its open is the day's
open); continuous trading fills the minutes up to close-11 min (15:19); 15:20-15:29 is the closing-auction call
with no trades, hence no bars; the bar labelled at the close (15:30) is the closing auction (O=H=L=C=day close).
Minutes without trades (illiquid stocks) have no bar. Each (stock, day) has its own seeded generator, so bars are
identical on every call and cost well under a millisecond.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from kis_platform.simulator.market.ticks import round_tick

AUCTION_MINUTES = 10  # closing-auction call before the close


@dataclass(frozen=True)
class Bars:
    """Traded 1-minute bars of one instrument-day. `minute` = bar start in minutes after midnight KST."""

    day: date
    minute: np.ndarray
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    value: np.ndarray  # turnover of the bar (KRW for stocks)
    first_sec: np.ndarray  # second of the bar's first trade (for the bar that is still forming)

    def __len__(self) -> int:
        return len(self.minute)

    def upto(self, n: int) -> Bars:
        """The first n bars."""
        return Bars(self.day, *(a[:n] for a in (self.minute, self.open, self.high, self.low, self.close,
                                                self.volume, self.value, self.first_sec)))


def profile(n: int) -> np.ndarray:
    """U-shaped intraday volume profile over n continuous minutes."""
    k = np.arange(n)
    return 1 + 2.5 * np.exp(-k / 25) + 1.5 * np.exp(-(n - 1 - k) / 30)


def bridge_path(rng: np.random.Generator, n: int, o: float, c: float, h: float, lo: float, sigma: float) -> np.ndarray:
    """n+1 price points from o to c whose excursions are rescaled to touch h and lo exactly."""
    w = np.concatenate([[0.0], np.cumsum(rng.standard_normal(n))])
    t = np.linspace(0, 1, n + 1)
    b = (w - t * w[-1]) * sigma / np.sqrt(n)
    pts = np.exp(np.log(o) + (np.log(c) - np.log(o)) * t + b)
    pts[0], pts[-1] = o, c
    hi_ref, lo_ref = max(o, c), min(o, c)
    top, bot = pts.max(), pts.min()
    if top > hi_ref:
        up = pts > hi_ref
        pts[up] = hi_ref + (pts[up] - hi_ref) * (h - hi_ref) / (top - hi_ref)
    if bot < lo_ref:
        dn = pts < lo_ref
        pts[dn] = lo_ref - (lo_ref - pts[dn]) * (lo_ref - lo) / (lo_ref - bot)
    return pts


def stock_bars(day: date, ohlcv: tuple[int, int, int, int, int, int], i: int, open_min: int, close_min: int,
               seed: int, vol: float) -> Bars:
    """Bars of stock i on `day` with daily (open, high, low, close, volume, value), session open_min..close_min."""
    o, h, lo, c, v_day, val_day = ohlcv
    n = close_min - open_min - AUCTION_MINUTES
    rng = np.random.default_rng([seed, 5, i, day.toordinal()])
    v_auc = max(1, int(v_day * rng.uniform(0.03, 0.10)))
    v_open = max(1, int(v_day * rng.uniform(0.01, 0.04)))
    p = profile(n) * rng.gamma(4.0, 0.25, n)
    vols = rng.multinomial(max(v_day - v_auc - v_open, 0), p / p.sum())
    vols[0] += v_open
    pts = bridge_path(rng, n, o, c, h, lo, max(vol, 0.004) * 1.5)
    bo, bc = pts[:-1], pts[1:]
    wick = np.abs(rng.standard_normal((2, n))) * 0.0008 * bo
    bh = np.clip(round_tick(np.maximum(bo, bc) + wick[0]), lo, h)
    bl = np.clip(round_tick(np.minimum(bo, bc) - wick[1]), lo, h)
    bo, bc = np.clip(round_tick(bo), lo, h), np.clip(round_tick(bc), lo, h)
    bh, bl = np.maximum(bh, np.maximum(bo, bc)), np.minimum(bl, np.minimum(bo, bc))
    traded = np.flatnonzero(vols > 0)
    bh[traded[np.argmax(bh[traded])]] = h
    bl[traded[np.argmin(bl[traded])]] = lo
    minute = np.concatenate([open_min + traded, [close_min]])
    opens = np.concatenate([bo[traded], [c]])
    highs = np.concatenate([bh[traded], [c]])
    lows = np.concatenate([bl[traded], [c]])
    closes = np.concatenate([bc[traded], [c]])
    volume = np.concatenate([vols[traded], [v_auc]]).astype(np.int64)
    value = bar_values(val_day, volume, lows, highs, (opens + highs + lows + closes) / 4)
    first = rng.integers(0, 60, len(minute))
    first[0], first[-1] = 0, 0  # the auctions print on the minute
    return Bars(day, minute, opens, highs, lows, closes, volume, value, first)


def bar_values(total: int, volume: np.ndarray, low: np.ndarray, high: np.ndarray, typical: np.ndarray) -> np.ndarray:
    """Bar turnovers summing exactly to the day's turnover, each bar's average price kept inside [low, high].

    The day's turnover is fixed by the daily table (so KRX and KIS agree without building minute bars); the
    difference to volume x typical price is spread over the bars' room inside their own range.
    """
    avg = np.clip(typical * total / (volume * typical).sum(), low, high)
    resid = total - float((volume * avg).sum())
    slack = (high - avg) if resid > 0 else (avg - low)
    room = float((volume * slack).sum())
    if room > 0:
        avg = avg + np.sign(resid) * slack * min(1.0, abs(resid) / room)
    value = np.floor(volume * avg).astype(np.int64)
    value[np.argmax(volume)] += total - int(value.sum())
    return value
