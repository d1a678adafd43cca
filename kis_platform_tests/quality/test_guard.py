"""Every kind of bad data the simulator injects is refused by the guard, under the right rule and row count."""

from __future__ import annotations

import dagster as dg
import pandas as pd
import pytest

from kis_platform.quality.guard import SCHEMA_CHECK, guard, schema_check_spec
from kis_platform.schemas import (
    TABLE_SCHEMAS,
    MinuteBarSchema,
    OptionChainSnapshotSchema,
)
from kis_platform.schemas.bars import DailyBarSchema, FuturesMinuteBarSchema
from kis_platform.schemas.catalog import RULES
from kis_platform_tests.quality import frames as F


@pytest.mark.parametrize(("corrupt", "rows", "rule", "count"), [
    (F.negative_price, [3, 40], "price_positive", 2),
    (F.off_grid_price, [7], "price_on_tick_grid", 1),
    (F.high_below_low, [1, 2, 50], "high_ge_low", 3),
    (F.outside_session, [10, 11], "bar_in_session", 2),
    (F.duplicate_rows, [4, 5, 6], "no_duplicate_keys", 3),
])
def test_minute_bar_faults_are_blocked(corrupt, rows: list[int], rule: str, count: int) -> None:
    clean = F.minute_bars()
    g = guard(corrupt(clean, rows), MinuteBarSchema, "minute_bars", partition_key="2025-03-04")
    assert not g.passed
    assert g.failures_by_rule[rule] == count
    assert g.num_failing_rows == count  # other rules may fire on the same rows, never on other rows
    assert len(g.valid_rows) == g.rows_checked - count
    assert g.failure_message.startswith(f"minute_bars: {count} of {g.rows_checked:,} rows break")
    assert g.failure_message.endswith("nothing was written") and f"{rule} ({count})" in g.failure_message
    meta = g.check_result.metadata
    assert meta["rows_checked"].value == g.rows_checked and meta["num_failing_rows"].value == count
    assert meta["failures_by_rule"].value[rule] == count and "failing_rows" in meta
    assert g.check_result.check_name == SCHEMA_CHECK and not g.check_result.passed
    assert set(g.failures_by_rule) <= set(RULES)


def test_clean_frames_pass_and_keep_every_row() -> None:
    for df, model in ((F.minute_bars(), MinuteBarSchema), (F.option_chain(), OptionChainSnapshotSchema),
                      (F.daily_bars([pd.Timestamp("2025-03-04").date()]), DailyBarSchema)):
        g = guard(df, model, "t")
        assert g.passed, g.failure_message
        assert len(g.valid_rows) == len(df) and g.check_result.passed
        assert g.check_result.metadata["num_failing_rows"].value == 0


def test_nonsense_greeks_are_blocked() -> None:
    g = guard(F.nonsense_greeks(F.option_chain(), [0, 4]), OptionChainSnapshotSchema, "option_chain_snapshots")
    assert g.num_failing_rows == 2
    assert {k: g.failures_by_rule[k] for k in ("delta_in_range", "gamma_non_negative", "iv_positive")} == {
        "delta_in_range": 2, "gamma_non_negative": 2, "iv_positive": 2}
    assert g.failures_by_rule["delta_sign_matches_type"] == 1  # the put (row 4) got a positive delta
    dropped = g.dropped()
    assert dropped.check_result.severity == dg.AssetCheckSeverity.WARN
    assert "dropped" in dropped.failure_message


def test_put_with_positive_delta_and_holiday_rows() -> None:
    chain = F.option_chain()
    chain.loc[3, "delta"] = 0.2  # a put
    assert guard(chain, OptionChainSnapshotSchema, "o").failures_by_rule == {"delta_sign_matches_type": 1}
    holiday = F.daily_bars([pd.Timestamp("2025-03-03").date()])  # 삼일절 substitute holiday
    assert guard(holiday, DailyBarSchema, "d").failures_by_rule == {"trade_date_is_session": 1}


def test_closing_auction_bar_is_allowed_but_not_the_minute_after() -> None:
    bars = F.minute_bars(start="15:29", minutes=3, symbols=("005930",))  # 15:29, 15:30, 15:31
    g = guard(bars, MinuteBarSchema, "minute_bars")
    assert g.failures_by_rule == {"bar_in_session": 1}
    assert g.invalid_rows["bar_start"].dt.strftime("%H:%M").tolist() == ["15:31"]


def test_wrong_columns_refuse_everything() -> None:
    df = F.minute_bars().drop(columns="volume").assign(volumne=1)
    g = guard(df, MinuteBarSchema, "minute_bars")
    assert g.failures_by_rule == {"required_column": 60, "unknown_column": 60}
    assert g.valid_rows.empty


def test_bad_codes_and_futures_rules() -> None:
    bars = F.minute_bars(symbols=("5930", "0037T0"), minutes=2)
    assert guard(bars, MinuteBarSchema, "m").failures_by_rule == {"symbol_format": 2}
    fut = pd.DataFrame({"symbol": "A01603", "bar_start": pd.Timestamp("2025-03-04 08:45", tz="Asia/Seoul"),
                        "bar_end": pd.Timestamp("2025-03-04 08:46", tz="Asia/Seoul"), "underlying": "KOSPI200",
                        "expiry": "202503", "open": [345.05, 345.05], "high": [345.2, 345.2],
                        "low": [344.9, 344.9], "close": [345.1, 345.12], "volume": 10,
                        "trade_date": pd.Timestamp("2025-03-04").date(), "source": "SIM_KIS", "fetched_at": F.FETCHED})
    fut.loc[1, "bar_start"] += pd.Timedelta(minutes=1)
    fut.loc[1, "bar_end"] += pd.Timedelta(minutes=1)
    assert guard(fut, FuturesMinuteBarSchema, "f").failures_by_rule == {"price_on_tick_grid": 1}


def test_spec_is_blocking_and_every_table_has_a_schema() -> None:
    spec = schema_check_spec("minute_bars")
    assert spec.blocking and spec.name == SCHEMA_CHECK and "nothing was written" in spec.description
    assert len(TABLE_SCHEMAS) == 13
