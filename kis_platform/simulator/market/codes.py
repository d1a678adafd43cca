"""Instrument identifiers: ISIN check digits, KRX year letters and the 2026 derivative codes."""

from __future__ import annotations

# KRX year letter cycle for derivative codes up to 2025 (no I, O, U, X, Y, Z): ... S 2022, T 2023, V 2024, W 2025.
_YEAR_LETTERS = "6789012345ABCDEFGHJKLMNPQRSTVW"  # 1996 .. 2025
_MONTH_CHARS = "123456789ABC"


def isin_check_digit(body: str) -> str:
    """ISIN check digit of the first 11 characters (letters count as 10..35, then Luhn)."""
    digits = "".join(str(int(ch, 36)) for ch in body)
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return str((10 - total % 10) % 10)


def stock_isin(code: str, preferred: bool = False) -> str:
    """KR7 ISIN of a 6-character short code (005930 -> KR7005930003)."""
    body = f"KR7{code}{'05' if preferred else '00'}"
    return body + isin_check_digit(body)


def year_char(year: int) -> str:
    """Year character of derivative codes: the letter cycle up to 2025, the last digit from 2026."""
    return _YEAR_LETTERS[year - 1996] if year <= 2025 else str(year % 10)


def month_char(month: int) -> str:
    return _MONTH_CHARS[month - 1]


def future_code(product: str, year: int, month: int) -> str:
    """KIS short code of an index future; product "01" KOSPI200, "06" KOSDAQ150 (A01612 = KOSPI200 Dec 2026)."""
    if year >= 2026:
        return f"A{product}{year % 10}{month:02d}"
    return f"1{product}{year_char(year)}{month:02d}"


def option_code(right: str, year: int, month: int, strike: float) -> str:
    """KIS short code of a KOSPI200 option; right "C"/"P" (B01612400 = call Dec 2026 strike 400)."""
    k = f"{int(strike) % 1000:03d}"
    if year >= 2026:
        return f"{'B' if right == 'C' else 'C'}01{year % 10}{month:02d}{k}"
    return f"{'2' if right == 'C' else '3'}01{year_char(year)}{month:02d}{k}"


def krx_derivative_code(kis_code: str, year: int, month: int, strike: float | None = None) -> str:
    """8-character KRX Open API code (ISIN characters 4-11): 101Q6000, 201Q5160, A016C000."""
    head = kis_code[:3]
    tail = "000" if strike is None else f"{int(strike) % 1000:03d}"
    return f"{head}{year_char(year)}{month_char(month)}{tail}"


def derivative_isin(krx_code: str) -> str:
    body = f"KR4{krx_code}"
    return body + isin_check_digit(body)
