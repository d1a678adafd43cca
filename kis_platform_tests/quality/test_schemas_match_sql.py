"""Each pandera model has exactly its SQL table's columns, types and nullability, and guarded frames write."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import psycopg
import pytest

from kis_platform.quality.guard import guard
from kis_platform.schemas import (
    TABLE_SCHEMAS,
    InvestorFlowSchema,
    MinuteBarSchema,
    OptionChainSnapshotSchema,
)
from kis_platform.schemas.bars import DailyBarSchema
from kis_platform.storage.frames import table_info
from kis_platform.storage.writer import MarketWriter
from kis_platform_tests.quality import frames as F

# Nullable columns a rule reads, so the frame must carry them (possibly as nulls).
RULES_NEED_COLUMN = {"daily_bars.open", "daily_bars.high", "daily_bars.low", "daily_bars.close",
                     "instrument_history.valid_to", "trading_calendar.open_at", "trading_calendar.close_at"}
SQL_TO_DTYPE = {"int8": "Int64", "int4": "Int64", "int2": "Int64", "numeric": "float64", "float8": "float64",
                "text": "string[python]", "bpchar": "string[python]", "varchar": "string[python]", "date": "date", "bool": ("bool", "boolean"),
                "timestamptz": "datetime64[ns, Asia/Seoul]", "jsonb": "object"}


@pytest.mark.parametrize("table", sorted(TABLE_SCHEMAS))
def test_model_matches_table(market_db: str, table: str) -> None:
    schema = TABLE_SCHEMAS[table].to_schema()
    with psycopg.connect(market_db) as conn:
        info = table_info(conn, table)
    writable = {n: c for n, c in info.columns.items() if not c.generated}
    assert set(schema.columns) == set(writable) - {"id"}, "model columns differ from the table's"
    for name, column in schema.columns.items():
        sql = writable[name]
        assert column.nullable == (not sql.not_null), f"{table}.{name}: nullability"
        must = sql.not_null and not sql.has_default
        assert column.required == must or f"{table}.{name}" in RULES_NEED_COLUMN, f"{table}.{name}: required"
        expected = SQL_TO_DTYPE[sql.typname]
        assert str(column.dtype) in ((expected,) if isinstance(expected, str) else expected), f"{table}.{name}"


def test_guarded_frames_write(market_db: str) -> None:
    writer = MarketWriter(market_db)
    day = dt.date(2025, 3, 4)
    flows = pd.DataFrame({"symbol": ["005930"], "trade_date": [day], "source": "SIM_KIS", "is_provisional": False,
                          "fetched_at": F.FETCHED, "foreign_net_qty": [5], "individual_net_qty": [-3],
                          "institution_net_qty": [-2], "other_corp_net_qty": [0], "other_org_net_qty": [0],
                          "foreign_buy_qty": [10], "foreign_sell_qty": [5]})
    for table, df, model, keys in (
        ("minute_bars", F.minute_bars(), MinuteBarSchema, ["symbol", "bar_start"]),
        ("daily_bars", F.daily_bars([day]), DailyBarSchema, ["symbol", "trade_date", "source", "adjusted"]),
        ("option_chain_snapshots", F.option_chain(), OptionChainSnapshotSchema,
         ["snapshot_ts", "underlying", "expiry", "option_type", "strike"]),
        ("investor_flows", flows, InvestorFlowSchema, ["symbol", "trade_date", "source", "is_provisional"]),
    ):
        g = guard(df, model, table)
        assert g.passed, g.failure_message
        assert writer.upsert(table, g.valid_rows, keys) == len(df)
    with psycopg.connect(market_db) as conn:
        assert conn.execute("SELECT count(*), min(close), max(symbol) FROM minute_bars").fetchone()[0] == 60
        assert conn.execute("SELECT count(*) FROM option_chain_snapshots WHERE delta < 0").fetchone() == (3,)
