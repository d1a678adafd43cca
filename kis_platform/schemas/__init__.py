"""pandera DataFrameModels, one per table: the rules a frame must satisfy before it is written.

Use them through `kis_platform.quality.guard.guard` (which names failures by rule); `Model.validate(df)` also
works on its own. `TABLE_SCHEMAS` maps each table to its model.
"""

from __future__ import annotations

import pandera.pandas as pa

from kis_platform.schemas.bars import (
    DailyBarSchema,
    FuturesMinuteBarSchema,
    MinuteBarSchema,
)
from kis_platform.schemas.catalog import RULES
from kis_platform.schemas.flows import InvestorFlowSchema
from kis_platform.schemas.master import (
    InstrumentHistorySchema,
    InstrumentSchema,
    TradingCalendarSchema,
)
from kis_platform.schemas.options import OptionChainSnapshotSchema, OptionMatrixSchema
from kis_platform.schemas.quality import (
    CompletenessSchema,
    DataQualityIssueSchema,
    ReconciliationMismatchSchema,
)
from kis_platform.schemas.snapshots import InstrumentSnapshotSchema
from kis_platform.schemas.ticks import tick_markets, tick_size

TABLE_SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    "instruments": InstrumentSchema,
    "instrument_history": InstrumentHistorySchema,
    "instrument_snapshots": InstrumentSnapshotSchema,
    "trading_calendar": TradingCalendarSchema,
    "daily_bars": DailyBarSchema,
    "minute_bars": MinuteBarSchema,
    "futures_minute_bars": FuturesMinuteBarSchema,
    "option_chain_snapshots": OptionChainSnapshotSchema,
    "option_matrices": OptionMatrixSchema,
    "investor_flows": InvestorFlowSchema,
    "data_quality_issues": DataQualityIssueSchema,
    "completeness": CompletenessSchema,
    "reconciliation_mismatches": ReconciliationMismatchSchema,
}

__all__ = [
    "RULES", "TABLE_SCHEMAS", "CompletenessSchema", "DailyBarSchema", "DataQualityIssueSchema",
    "FuturesMinuteBarSchema", "InstrumentHistorySchema", "InstrumentSchema", "InstrumentSnapshotSchema", "InvestorFlowSchema", "MinuteBarSchema",
    "OptionChainSnapshotSchema", "OptionMatrixSchema", "ReconciliationMismatchSchema", "TradingCalendarSchema",
    "tick_markets", "tick_size",
]
