"""Tick grid, ISIN check digit, the ±30 % rule and investor-net balance, tested on known values."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from kis_platform.schemas import tick_markets, tick_size
from kis_platform.schemas.flows import nets_balance
from kis_platform.schemas.rules import (
    daily_move_within_limit,
    isin_valid,
    prev_close_in_frame,
)
from kis_platform.schemas.ticks import futures_on_grid, option_on_grid, stock_on_grid

NEW, OLD = dt.date(2025, 3, 4), dt.date(2022, 6, 2)


@pytest.mark.parametrize(("price", "tick"), [(1_999, 1), (2_000, 5), (4_995, 5), (5_000, 10), (19_990, 10),
                                             (20_000, 50), (49_950, 50), (50_000, 100), (199_900, 100),
                                             (200_000, 500), (499_500, 500), (500_000, 1_000), (1_250_000, 1_000)])
def test_tick_table_since_2023_is_the_same_for_kospi_and_kosdaq(price: int, tick: int) -> None:
    assert tick_size(price, "KOSPI", NEW) == tick
    assert tick_size(price, "KOSDAQ", NEW) == tick


def test_tick_tables_before_2023_differ_by_market() -> None:
    assert tick_size(1_500, "KOSPI", OLD) == 5 and tick_size(1_500, "KOSPI", NEW) == 1
    assert tick_size(15_000, "KOSPI", OLD) == 50 and tick_size(15_000, "KOSPI", NEW) == 10
    assert tick_size(250_100, "KOSDAQ", OLD) == 100 and tick_size(250_100, "KOSPI", OLD) == 500
    assert tick_size(35_005, "ETF", NEW) == 5
    with pytest.raises(ValueError):
        tick_size(100, "NYSE", NEW)


def test_stock_grid_uses_markets_when_given() -> None:
    prices = pd.Series([35_005, 57_300, 57_301])
    days = pd.Series([NEW] * 3)
    symbols = pd.Series(["069500", "005930", "005930"])
    assert stock_on_grid(prices, days, symbols).tolist() == [True, True, False]  # unknown market: ETF grid allowed
    with tick_markets({"069500": "KOSPI", "005930": "KOSPI"}):
        assert stock_on_grid(prices, days, symbols).tolist() == [False, True, False]
    old = stock_on_grid(pd.Series([250_100]), pd.Series([OLD]), pd.Series(["091990"]))
    with tick_markets({"091990": "KOSPI"}):
        assert not stock_on_grid(pd.Series([250_100]), pd.Series([OLD]), pd.Series(["091990"]))[0]
    assert old[0]  # on the old KOSDAQ grid


def test_derivative_grids() -> None:
    assert futures_on_grid(pd.Series([345.05, 345.07]), pd.Series(["KOSPI200"] * 2)).tolist() == [True, False]
    assert futures_on_grid(pd.Series([1234.1, 1234.15]), pd.Series(["KOSDAQ150"] * 2)).tolist() == [True, False]
    prices = pd.Series([2.17, 12.35, 12.37, 0.0])
    assert option_on_grid(prices, pd.Series(["KOSPI200"] * 4)).tolist() == [True, True, False, True]


@pytest.mark.parametrize(("isin", "ok"), [
    ("KR7005930003", True), ("KR7000660001", True), ("US0378331005", True), ("KR7005930004", False),
    ("KR700593000", False), ("kr7005930003", False), ("KR7005935002", True), ("KR7005935003", False),
])
def test_isin_luhn(isin: str, ok: bool) -> None:
    assert isin_valid(isin) is ok


def test_daily_move_within_limit_and_prev_close() -> None:
    df = pd.DataFrame({"symbol": ["A", "A", "A", "B"], "trade_date": [1, 2, 3, 1], "close": [100, 130, 80, 50]})
    prev = prev_close_in_frame(df)
    assert prev.isna()[0] and prev.isna()[3] and prev.tolist()[1:3] == [100, 130]
    assert daily_move_within_limit(df["close"], prev).tolist() == [True, True, False, True]


def test_investor_nets_balance_with_tolerance() -> None:
    base = {"foreign_net_qty": 100, "individual_net_qty": -70, "institution_net_qty": -20, "other_corp_net_qty": -10,
            "other_org_net_qty": 0, "foreign_buy_qty": 1_000, "individual_buy_qty": 5_000,
            "institution_buy_qty": 500, "foreign_net_krw": 5_000_000, "individual_net_krw": -3_000_000,
            "institution_net_krw": -1_000_000, "other_corp_net_krw": -2_000_000, "other_org_net_krw": 0}
    off_by_rounding = dict(base, foreign_net_krw=6_000_000)
    broken = dict(base, foreign_net_qty=200)
    provisional = dict(broken, is_provisional=True)
    three_groups = {k: v for k, v in broken.items() if not k.startswith("other")}
    df = pd.DataFrame([base, off_by_rounding, broken, provisional, three_groups])
    assert nets_balance(df).tolist() == [True, True, False, True, True]


def test_docs_list_every_rule() -> None:
    from pathlib import Path

    from kis_platform.schemas.catalog import RULES

    doc = (Path(__file__).parents[2] / "docs" / "data-quality.md").read_text()
    assert [r for r in RULES if f"| `{r}` |" not in doc] == []
