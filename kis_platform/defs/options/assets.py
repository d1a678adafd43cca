"""KOSPI200 option chain: one snapshot of the KIS option board per session minute, and the ATM-relative matrices."""

from collections.abc import Iterator
from datetime import datetime, timedelta

import dagster as dg
import pandas as pd

from kis_platform import clock
from kis_platform.defs.metadata import frame_metadata
from kis_platform.defs.options import matrix as mx
from kis_platform.defs.options.plot import smile_markdown
from kis_platform.defs.options.snapshot import (
    KEY,
    UNDERLYING,
    listed_expiry_months,
    read_snapshot,
    record_not_recoverable,
    snapshot_metadata,
    to_table,
)
from kis_platform.defs.partitions import SESSION_MINUTES, parse_minute_key
from kis_platform.defs.resources import MarketDatabase, Sources
from kis_platform.quality.guard import guard, guarded_write, schema_check_spec
from kis_platform.schemas.options import OptionChainSnapshotSchema
from kis_platform.sources.kis.options import option_board

MINUTE = timedelta(minutes=1)
LATE_LIMIT = timedelta(minutes=1)  # after the minute's end, today's live board no longer stands for that minute
BOARD_LEAD = timedelta(seconds=5)  # the board (about 1 call/s, two expiries) is read this long before the close
EARLY_LIMIT = timedelta(minutes=5)  # a run this far ahead of its minute is a mistake, not something to wait for
REFUSED = ("option board snapshots cannot be refetched for a past minute; this minute is recorded as not "
           "recoverable")


def _wait_for(start: datetime, key: str) -> datetime:
    """The platform's now, once the board can stand for the minute: its last seconds (a run launched ahead of
    the close waits for them), or any time after it within LATE_LIMIT."""
    take_at = start + MINUTE - BOARD_LEAD
    now = clock.now()
    if start - EARLY_LIMIT <= now < take_at:
        clock.sleep_until(take_at)
        now = clock.now()
    if now < start:
        raise dg.Failure(description=f"{key} has not begun (now {now:%Y-%m-%d %H:%M:%S} KST): a snapshot is taken "
                                     "during or just after its minute", allow_retries=False)
    return now


# The minute job runs its steps one after another: the board goes first, in its minute's last seconds, while
# the bar assets wait for the close. The matrices, derived from the board, come after the bars: when the board
# finished late they took the 3 s right after the close, ahead of the futures and bars (bench intraday).
BOARD_FIRST = {"dagster/priority": "10"}
AFTER_THE_BARS = {"dagster/priority": "-1"}


@dg.asset(
    group_name="options",
    kinds={"postgres"},
    partitions_def=SESSION_MINUTES,
    check_specs=[schema_check_spec("option_chain_snapshots", SESSION_MINUTES)],
    # Its own pool: the step waits for its minute's last seconds holding a slot, and a run launched ahead of its
    # minute must not take a kis_api slot from the bar steps of the minute before (the request rate is the
    # client's shared limiter's, which counts these calls against the kis bucket too).
    pool="kis_option_board",
    op_tags=BOARD_FIRST,
)
def option_chain_snapshots(context: dg.AssetExecutionContext, database: MarketDatabase,
                           sources: Sources) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """The KOSPI200 option chain as the KIS option board (전광판, FHPIF05030100) showed it in this minute, for the
    two nearest monthly expiries: per strike and call/put, last price, bid/ask, implied volatility (%), delta,
    gamma, theta, vega, rho, volume and open interest, KIS's ITM/ATM/OTM flag, and the KOSPI200 level the board
    implies. The board is live only: a minute not captured during (or within a minute after) it is lost for
    good, so a late run refuses to label today's board with an old time. Rows with impossible greeks are dropped
    and filed as data-quality issues; the rest are kept (the check then fails at WARN)."""
    start = parse_minute_key(context.partition_key)
    now = _wait_for(start, context.partition_key)
    if now > start + MINUTE + LATE_LIMIT:
        stored = read_snapshot(database.dsn(), start)
        if stored.empty:
            record_not_recoverable(database.dsn(), start, now)
            context.log.error(f"{context.partition_key}: {REFUSED}")
            raise dg.Failure(description=f"{context.partition_key}: {REFUSED}", allow_retries=False,
                             metadata={"minute": context.partition_key, "now": str(now)})
        # A rerun of a minute already captured: keep it (nothing is fetched), re-validate it, report it.
        g = guard(stored, OptionChainSnapshotSchema, context.asset_key, partition_key=context.partition_key)
        yield dg.MaterializeResult(check_results=[g.check_result], metadata={
            "refetched": False, **snapshot_metadata(stored, sorted(stored["expiry"].unique()))})
        return
    with sources.session(database) as src:
        src.retry_until(start + MINUTE + LATE_LIMIT)
        listed, cached = listed_expiry_months(src.kis, src.settings, now.date())
        months = mx.nearest_monthlies(listed, now)
        if not months:
            raise dg.Failure(description=f"no monthly {UNDERLYING} option expiry is trading at {now}")
        frames = [to_table(option_board(src.kis, month), start, month, src.settings.source_tag, clock.now())
                  for month in months]
        stats = src.stats()
    rows = pd.concat(frames, ignore_index=True)
    context.log.info(f"{context.partition_key}: {len(rows)} rows for expiries {', '.join(months)}")
    writer = database.writer()
    metadata = {"refetched": True, "expiry_list": "cached" if cached else "fetched",
                **snapshot_metadata(rows, months), **stats}
    yield from guarded_write(context, rows, OptionChainSnapshotSchema,
                             lambda ok: writer.upsert("option_chain_snapshots", ok, KEY), dsn=database.dsn(),
                             drop_invalid=True, metadata=metadata)


PREVIEW = ["underlying_symbol", "metric_type", "atm_strike", "c_itm1", "c_atm", "c_otm1", "p_itm1", "p_atm", "p_otm1"]


@dg.asset(
    group_name="options",
    kinds={"postgres"},
    partitions_def=SESSION_MINUTES,
    deps=[option_chain_snapshots],
    op_tags=AFTER_THE_BARS,
)
def option_matrices(context: dg.AssetExecutionContext, database: MarketDatabase) -> dg.MaterializeResult:
    """The user's option matrices: for each expiry (`underlying_symbol` like 202612_KOSPI200) and metric (price,
    iv, delta, gamma, theta, vega, volume, open_interest, and strike = which strike each cell is), the values
    at the ATM strike and 1..10 strikes in and out of the money, for calls (c_) and puts (p_). A call's ITM
    strikes are below ATM, a put's above. ATM = the strike nearest the KOSPI200 level (tie: lower strike), rule
    named in `atm_rule`; cells past the edge of the board are NULL. Rebuilt from stored snapshots only, so the
    same snapshot always gives the same matrix."""
    start = parse_minute_key(context.partition_key)
    chain = read_snapshot(database.dsn(), start)
    if chain.empty:
        raise dg.Failure(description=f"{context.partition_key}: no option_chain_snapshots rows for this minute")
    frames, atms, disagree, smiles = [], {}, {}, {}
    for (expiry, underlying), rows in chain.groupby(["expiry", "underlying"], sort=True):
        symbol, spot = f"{expiry}_{underlying}", rows["underlying_price"].median()
        atm = mx.atm_strike(rows["strike"], spot)
        if atm is None:
            context.log.warning(f"{symbol}: no underlying level in the snapshot, no ATM, no matrix")
            continue
        m = mx.build_matrix(rows, atm)
        frames.append(m.assign(timestamp=start, underlying_symbol=symbol, atm_strike=atm, atm_rule=mx.ATM_RULE,
                               source=rows["source"].iloc[0], fetched_at=rows["fetched_at"].max()))
        atms[symbol], smiles[symbol] = atm, rows
        if (kis := mx.kis_atm(rows)) != atm:
            disagree[symbol] = {"rule": atm, "kis_atm_cls_name": kis, "underlying_price": float(spot)}
    if not frames:
        raise dg.Failure(description=f"{context.partition_key}: no expiry has an underlying level; no matrix")
    out = pd.concat(frames, ignore_index=True)
    written = database.writer().upsert("option_matrices", out, ["timestamp", "underlying_symbol", "metric_type"])
    return dg.MaterializeResult(metadata={
        **frame_metadata(out[PREVIEW], symbol_column="underlying_symbol", preview_rows=len(mx.METRICS)),
        "rows_written": written,
        "atm_rule": mx.ATM_RULE,
        "atm_strikes": dg.MetadataValue.json(atms),
        "atm_disagreements_with_kis": dg.MetadataValue.json(disagree),
        "iv_smile": dg.MetadataValue.md(smile_markdown(smiles, atms, f"IV smile at {context.partition_key} KST")),
    })
