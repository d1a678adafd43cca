"""Investor flows per stock and day: foreign, individual, institution and its parts, pension funds (연기금)."""

from collections.abc import Iterator
from datetime import datetime, time, timedelta

import dagster as dg
import pandas as pd

from kis_platform import clock
from kis_platform.calendar import KST
from kis_platform.defs.master.assets import trading_calendar
from kis_platform.defs.metadata import frame_metadata
from kis_platform.defs.partitions import TRADING_DAYS, parse_day_key
from kis_platform.defs.resources import MarketDatabase, Sources
from kis_platform.quality.guard import guarded_write, schema_check_spec
from kis_platform.schemas import InvestorFlowSchema
from kis_platform.sources.kis.flows import investor_flows as kis_flows_30d
from kis_platform.sources.kis.flows import investor_flows_detail

# Client group names -> table column prefixes (the table follows the KIS labels; see data-dictionary.md).
GROUPS = {"foreign": "foreign", "foreign_registered": "foreign_registered", "foreign_other": "foreign_unregistered",
          "individual": "individual", "institution": "institution", "securities": "securities",
          "investment_trust": "investment_trust", "private_fund": "private_equity", "bank": "bank",
          "insurance": "insurance", "merchant_bank": "merchant_bank", "pension_fund": "pension_fund",
          "other": "other_finance", "other_corp": "other_corp", "other_org": "other_org"}
MEASURES = {"net_qty": "net_qty", "buy_qty": "buy_qty", "sell_qty": "sell_qty",
            "net_value_mkrw": "net_krw", "buy_value_mkrw": "buy_krw", "sell_value_mkrw": "sell_krw"}
FINAL_AFTER = time(18, 0)  # KIS: final figures after the close, complete by about 18:00 KST


def to_table(df: pd.DataFrame, source: str, fetched_at: datetime) -> pd.DataFrame:
    """Client frame -> investor_flows rows: KRW instead of 백만원, provisional before 18:00 on the day itself."""
    out = pd.DataFrame({"symbol": df["symbol"], "trade_date": df["trade_date"], "source": source})
    for group, prefix in GROUPS.items():
        for measure, suffix in MEASURES.items():
            col = f"{group}_{measure}"
            if col in df:
                values = df[col].astype("Int64")
                out[f"{prefix}_{suffix}"] = values * 1_000_000 if measure.endswith("mkrw") else values
    local = fetched_at.astimezone(KST)
    out["is_provisional"] = [d == local.date() and local.time() < FINAL_AFTER for d in df["trade_date"]]
    out["fetched_at"] = fetched_at
    return out


@dg.asset(
    group_name="daily",
    kinds={"postgres"},
    partitions_def=TRADING_DAYS,
    deps=[trading_calendar],
    backfill_policy=dg.BackfillPolicy.single_run(),
    # The guard's investor_nets_balance rule refuses a day whose net buying over investor types does not sum
    # to about zero (kis_platform/schemas/flows.py).
    check_specs=[schema_check_spec("investor_flows", TRADING_DAYS)],
    pool="kis_api",
)
def investor_flows(context: dg.AssetExecutionContext, database: MarketDatabase,
                   sources: Sources) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Daily buying and selling by investor type for the watch list, in shares and KRW: foreign (registered
    and other), individual, institution total and its parts, and pension funds (연기금) as their own columns.
    From FHPTJ04160001 (full split); on the paper host, which lacks it, FHKST01010900 (three groups only).
    Figures fetched on the day before 18:00 are marked provisional and replaced by the final ones."""
    days = sorted(parse_day_key(k) for k in context.partition_keys)
    frames = []
    with sources.session(database) as src:
        fetched_at = clock.now()
        for symbol in src.settings.symbols:
            if src.settings.kis_env == "paper":
                df = kis_flows_30d(src.kis, symbol)
            else:
                df = investor_flows_detail(src.kis, symbol, days[-1], start=days[0])
            frames.append(df[df["trade_date"].isin(days)])
        stats = src.stats()
        rows = to_table(pd.concat(frames, ignore_index=True), src.settings.source_tag, fetched_at)
        rows = rows.dropna(subset=["individual_net_qty"])  # today's row is blank until KIS publishes it
        tag, symbols = src.settings.source_tag, list(src.settings.symbols)

    def write(valid: pd.DataFrame) -> int:
        writer = database.writer()
        return sum(writer.replace_window("investor_flows", valid[valid["trade_date"] == day], "trade_date", day,
                                         day + timedelta(days=1), {"source": tag, "symbol": symbols})
                   for day in days)

    pension = rows["pension_fund_net_krw"] if "pension_fund_net_krw" in rows else pd.Series(dtype="Int64")
    yield from guarded_write(context, rows, InvestorFlowSchema, write, dsn=database.dsn(), metadata={
        **frame_metadata(rows, time_column="trade_date", symbol_column="symbol"),
        "provisional_rows": int(rows["is_provisional"].sum()),
        "pension_fund_net_krw_total": int(pension.sum()) if len(pension) else 0, **stats,
    })
