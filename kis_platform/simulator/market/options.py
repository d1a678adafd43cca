"""KOSPI200 monthly options: listed expiries, strikes, an IV smile, Black-Scholes prices and greeks.

Prices and greeks are computed from the KOSPI200 level at the asked instant, so they move with the underlying
during the session. Strikes are 2.5 points apart, 100 per side around the previous close.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np

from kis_platform.calendar import KST, Calendar
from kis_platform.simulator.market import codes
from kis_platform.simulator.market.futures import RATE, Contract, expiry_day

SQRT2 = math.sqrt(2.0)
_erf = np.vectorize(math.erf, otypes=[float])


@dataclass(frozen=True)
class Chain:
    """One expiry's calls and puts at one instant (arrays by strike, ascending)."""

    strikes: np.ndarray
    spot: float
    t_years: float
    iv: np.ndarray
    call: dict[str, np.ndarray]  # price, delta, gamma, vega, theta, rho
    put: dict[str, np.ndarray]


def ncdf(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(x / SQRT2))


def npdf(x: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)


def black_scholes(s: float, k: np.ndarray, t: float, vol: np.ndarray, r: float = RATE) -> tuple[dict, dict]:
    """European call and put values and greeks (vega and rho per 1 %, theta per calendar day)."""
    t = max(t, 1e-6)
    sq = vol * math.sqrt(t)
    d1 = (np.log(s / k) + (r + 0.5 * vol * vol) * t) / sq
    d2 = d1 - sq
    disc = math.exp(-r * t)
    nd1, nd2 = ncdf(d1), ncdf(d2)
    gamma = npdf(d1) / (s * sq)
    vega = s * npdf(d1) * math.sqrt(t) / 100
    common = -s * npdf(d1) * vol / (2 * math.sqrt(t))
    call = {"price": s * nd1 - k * disc * nd2, "delta": nd1, "gamma": gamma, "vega": vega,
            "theta": (common - r * k * disc * nd2) / 365, "rho": k * t * disc * nd2 / 100}
    put = {"price": k * disc * ncdf(-d2) - s * ncdf(-d1), "delta": nd1 - 1, "gamma": gamma, "vega": vega,
           "theta": (common + r * k * disc * ncdf(-d2)) / 365, "rho": -k * t * disc * ncdf(-d2) / 100}
    return call, put


def listed_expiries(cal: Calendar, d: date) -> list[Contract]:
    """Option series on d: 6 consecutive months, then quarterly, June/December and December months."""
    out: list[Contract] = []
    y, m = d.year, d.month
    while len(out) < 11 and y <= d.year + 2:  # the calendar reaches two years ahead
        e = expiry_day(cal, y, m)
        n = len(out)
        wanted = n < 6 or (n < 8 and m % 3 == 0) or (n < 9 and m in (6, 12)) or m == 12
        if e >= d and wanted:
            out.append(Contract("KOSPI200", y, m, e))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def strikes_for(prev_close: float) -> np.ndarray:
    centre = round(prev_close / 2.5) * 2.5
    return centre + 2.5 * np.arange(-50, 50)


def smile(atm: float, strikes: np.ndarray, forward: float) -> np.ndarray:
    x = np.log(strikes / forward)
    return np.clip(atm * (1 - 2.0 * x + 12 * x * x), 0.05, 1.5)


def atm_vol(seed: int, d: date) -> float:
    rng = np.random.default_rng([seed, 10, d.toordinal()])
    return float(0.15 + 0.04 * math.sin(d.toordinal() / 37) + rng.normal(0, 0.005))


def years_to_expiry(expiry: date, now: datetime) -> float:
    end = datetime(expiry.year, expiry.month, expiry.day, 15, 20, tzinfo=KST)
    return max((end - now).total_seconds(), 60) / (365 * 86400)


def chain(seed: int, expiry: Contract, spot: float, prev_close: float, d: date, now: datetime) -> Chain:
    k = strikes_for(prev_close)
    t = years_to_expiry(expiry.expiry, now)
    iv = smile(atm_vol(seed, d), k, spot * math.exp(RATE * t))
    call, put = black_scholes(spot, k, t, iv)
    return Chain(k, spot, t, iv, call, put)


def round_premium(p: np.ndarray) -> np.ndarray:
    """Premiums on the option grid (0.01 below 10, 0.05 from 10), at least 0.01."""
    p = np.maximum(p, 0.01)
    return np.where(p < 10, np.round(p, 2), np.round(p / 0.05) * 0.05)


def option_code(right: str, expiry: Contract, strike: float) -> str:
    return codes.option_code(right, expiry.year, expiry.month, strike)
