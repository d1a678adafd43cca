"""Which index-futures contract is the front month on a day: quarterly expiries and the roll.

KOSPI200 and KOSDAQ150 futures expire on the 2nd Thursday of March, June, September and December (the session
before when that Thursday is a holiday). The platform's continuous front-month series rolls to the next contract
*from* the last trading day of the expiring one: on that day the expiring contract stops at 15:20 and its volume
has already moved to the next one, so a whole day of the next contract is the cleaner series (see docs/futures.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd

# KIS futures codes carry the product in characters 2-3: 101W09 / A01612 KOSPI200, 106W09 / A06612 KOSDAQ150.
PRODUCTS = {"01": "KOSPI200", "06": "KOSDAQ150"}
FUTURES_PRODUCT_TYPE = "1"  # fo_idx_code_mts.mst 상품종류 1 = 지수선물 (mini futures are B)
QUARTER_MONTHS = (3, 6, 9, 12)
_YEAR_LETTERS = "6789012345ABCDEFGHJKLMNPQRSTVW"  # KRX year letters 1996..2025; from 2026 the code has a digit


@dataclass(frozen=True)
class FrontMonth:
    """The contract an analyst's continuous series uses on `day` for one underlying."""

    underlying: str  # KOSPI200 or KOSDAQ150
    symbol: str  # KIS short code, e.g. A01612
    expiry: str  # contract month YYYYMM
    last_trading_day: date
    from_master: bool  # False: the contract is no longer in today's master and its code was derived


def last_trading_day(year: int, month: int, is_session: Callable[[date], bool]) -> date:
    """2nd Thursday of the month, or the last session before it when the exchange is closed that day."""
    first = date(year, month, 1)
    day = first + timedelta(days=(3 - first.weekday()) % 7 + 7)
    while not is_session(day):
        day -= timedelta(days=1)
    return day


def front_contract_month(day: date, is_session: Callable[[date], bool]) -> tuple[int, int]:
    """(year, month) of the quarterly contract that is front on `day`: the first whose last trading day is
    after `day`."""
    year, month = day.year, next(m for m in QUARTER_MONTHS if m >= day.month)
    while last_trading_day(year, month, is_session) <= day:
        year, month = (year + 1, 3) if month == 12 else (year, month + 3)
    return year, month


def futures_code(product_digits: str, year: int, month: int) -> str:
    """KIS short code of a quarterly index future: 1+product+year letter+month until 2025 (101W09), A+product+year
    digit+month from 2026 (A01612). The 2026 form is inferred from KIS examples (kis-api.md §7.1)."""
    if year >= 2026:
        return f"A{product_digits}{year % 10}{month:02d}"
    return f"1{product_digits}{_YEAR_LETTERS[year - 1996]}{month:02d}"


def contract_month(code: str, name: str) -> tuple[int, int] | None:
    """(year, month) of a master row, from the name's YYYYMM ("F 202612") or else from a 2026-style code."""
    found = re.search(r"(20\d{2})(0[1-9]|1[0-2])\s*$", name or "")
    if found:
        return int(found[1]), int(found[2])
    if re.fullmatch(r"A\d{5}", code or ""):
        return 2020 + int(code[3]), int(code[4:6])
    return None


def listed_futures(master: pd.DataFrame) -> pd.DataFrame:
    """KOSPI200 and KOSDAQ150 quarterly futures of an index F/O master: underlying, symbol, year, month,
    month_class (1 = nearest), product_digits."""
    rows = []
    futures = master[(master["product_type"] == FUTURES_PRODUCT_TYPE) & (master["month_class"] != "0")]
    for code, name, month_class in zip(futures["short_code"], futures["name"], futures["month_class"]):
        product, ym = PRODUCTS.get(str(code)[1:3]), contract_month(str(code), str(name))
        if product and ym:
            rows.append({"underlying": product, "symbol": str(code), "year": ym[0], "month": ym[1],
                         "month_class": int(month_class), "product_digits": str(code)[1:3]})
    return pd.DataFrame(rows, columns=["underlying", "symbol", "year", "month", "month_class", "product_digits"])


def front_months(master: pd.DataFrame, day: date, is_session: Callable[[date], bool],
                 underlyings: tuple[str, ...] = ("KOSPI200", "KOSDAQ150")) -> list[FrontMonth]:
    """The front-month contract of each underlying on `day`.

    The master's nearest contract (month class 1) is front except on its last trading day, when the next one is.
    A past day whose contract has expired since is no longer in the master: its code is derived from the code
    scheme. Raises ValueError when the master lists no futures for an underlying.
    """
    listed = listed_futures(master)
    year, month = front_contract_month(day, is_session)
    out = []
    for underlying in underlyings:
        mine = listed[listed["underlying"] == underlying].sort_values("month_class")
        if mine.empty:
            raise ValueError(f"the index F/O master lists no {underlying} futures")
        hit = mine[(mine["year"] == year) & (mine["month"] == month)]
        code = hit["symbol"].iloc[0] if len(hit) else futures_code(mine["product_digits"].iloc[0], year, month)
        out.append(FrontMonth(underlying, code, f"{year}{month:02d}", last_trading_day(year, month, is_session),
                              from_master=bool(len(hit))))
    return out
