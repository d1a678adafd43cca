"""Analyst helpers: market data as pandas DataFrames, read through the read-only `kis_analyst` role.

    from kis_platform import query
    df = query.bars(["005930"], "2025-01-02", "2025-12-30", interval="5m")

Dates without a time mean whole KST days and the end day is included; datetimes are [start, end) and naive ones
are taken as KST. Timestamps come back as Asia/Seoul; prices of stocks are KRW integers.

Minute-level reads use binary COPY decoded with numpy (no Python object per row; storage/copy_binary_read.py):
the server's cost is per value sent, so minute_bars rows travel as five values where its constraints allow
(`_minute_bars`). Figures: `kis-platform bench query` and docs/benchmarks.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from kis_platform.storage import copy_binary_read
from kis_platform.storage.resample import RESAMPLED_TABLES

KST = "Asia/Seoul"
INTERVALS = ("1m", *RESAMPLED_TABLES.keys())
MATRIX_COLUMNS = [f"{side}_{pos}" for side in ("c", "p") for pos in
                  [*(f"itm{k}" for k in range(10, 0, -1)), "atm", *(f"otm{k}" for k in range(1, 11))]]
# Which source wins when a day has several (raw: the exchange's own figures first).
_DAILY_PREFERENCE = ["KRX", "KIS", "SIM_KRX", "SIM_KIS"]
_SOURCES = ["KIS", "KRX", "SIM_KIS", "SIM_KRX"]
_SESSIONS = ["krx_regular", "krx_open_auction", "krx_close_auction", "krx_after_hours", "nxt_pre", "nxt_main",
             "nxt_after"]
_MINUTE_US, _DAY_US, _KST_OFFSET_US = 60_000_000, 86_400_000_000, 9 * 3_600_000_000
_BAR_COLUMNS = ["symbol", "bar_start", "bar_end", "open", "high", "low", "close", "volume", "turnover_krw",
                "trade_date", "is_final", "source"]


def analyst_dsn() -> str:
    """DSN of the market database as kis_analyst (what `kis-platform db` prints)."""
    from kis_platform.settings import get_settings
    from kis_platform.storage.admin import ANALYST_ROLE, role_dsn, role_password
    from kis_platform.storage.database import market_dsn

    settings = get_settings()
    return role_dsn(market_dsn(settings), ANALYST_ROLE, role_password(settings, ANALYST_ROLE))


_connections: dict[str, psycopg.Connection] = {}


def _conn(dsn: str | None) -> psycopg.Connection:
    """One autocommit connection per DSN, kept open: an analyst's loop of queries should not pay a login each."""
    dsn = dsn or analyst_dsn()
    conn = _connections.get(dsn)
    if conn is None or conn.closed or conn.broken:
        conn = psycopg.connect(dsn, autocommit=True)
        # Minutes written minute by minute lie scattered in the heap; the planner then reads them by bitmap and
        # sorts, and a year of one symbol (~12 MB) spilled to disk under the default 4 MB.
        conn.execute("SET work_mem = '64MB'")
        _connections[dsn] = conn
    return conn


# Constraints of minute_bars the read relies on when present (sql/0102, sql/0103): TimescaleDB releases that refuse
# ADD CONSTRAINT on compressed hypertables go without them, and the read then fetches every column as stored.
_LABEL_CONSTRAINTS = frozenset({"minute_bars_bar_end_is_next_minute", "minute_bars_trade_date_is_kst_date"})
_PACKING_CONSTRAINTS = frozenset({"minute_bars_prices_fit_int4", "minute_bars_volume_below_2_60"})
# Volume is sent shifted left by three bits: is_final in bit 0, the source's index in bits 1-2.
assert len(_SOURCES) <= 4, "a fifth source needs another bit beside the volume"


def _minute_bar_guarantees(conn: psycopg.Connection) -> frozenset[str]:
    """Which of the read's constraints minute_bars has (validated). Asked on every read, so a migration applied
    while an analyst's session is open is used at once."""
    rows = conn.execute("SELECT conname FROM pg_constraint WHERE conrelid = 'minute_bars'::regclass "
                        "AND conname = ANY(%s) AND convalidated",
                        (sorted(_LABEL_CONSTRAINTS | _PACKING_CONSTRAINTS),)).fetchall()
    return frozenset(name for (name,) in rows)


def _window(start: object, end: object) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end) as aware timestamps; date-only values are KST days with the end day included."""
    def parse(value: object, is_end: bool) -> pd.Timestamp:
        date_only = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
        if isinstance(value, str):
            date_only = len(value.strip()) <= 10
        ts = pd.Timestamp(value)
        ts = ts.tz_localize(KST) if ts.tzinfo is None else ts.tz_convert(KST)
        return ts + pd.Timedelta(days=1) if date_only and is_end else ts

    lo, hi = parse(start, False), parse(end, True)
    if not lo < hi:
        raise ValueError(f"empty window: start {start!r} is not before end {end!r}")
    return lo, hi


def _symbols(symbols: str | Iterable[str]) -> list[str]:
    return [symbols] if isinstance(symbols, str) else list(symbols)


def bars(
    symbols: str | Iterable[str],
    start: object,
    end: object,
    interval: str = "1m",
    adjusted: bool = False,
    dsn: str | None = None,
) -> pd.DataFrame:
    """OHLCV bars of `symbols` between `start` and `end`, one row per symbol and bar start.

    interval: "1m" (minute_bars), "3m", "5m", "10m", "30m", "60m" (resampled from the minutes), or "1d"
    (daily_bars: official daily bars; raw unless adjusted=True, which returns KIS's adjusted series).
    Minute bars are never adjusted. turnover_krw is NaN where unknown."""
    if interval == "1d":
        return _daily_bars(symbols, start, end, adjusted, dsn)
    if interval not in INTERVALS:
        raise ValueError(f"interval {interval!r} is not one of {INTERVALS}")
    if adjusted:
        raise ValueError("minute bars are stored unadjusted only; use interval='1d' for adjusted prices")
    table = "minute_bars" if interval == "1m" else RESAMPLED_TABLES[interval]
    lo, hi = _window(start, end)
    conn = _conn(dsn)
    guarantees = _minute_bar_guarantees(conn) if table == "minute_bars" else frozenset()
    return _minute_bars(conn, table, _symbols(symbols), lo, hi, derive_labels=_LABEL_CONSTRAINTS <= guarantees,
                        pack_values=_PACKING_CONSTRAINTS <= guarantees)


def _minute_bars(conn: psycopg.Connection, table: str, names: list[str], lo: pd.Timestamp, hi: pd.Timestamp,
                 derive_labels: bool = False, pack_values: bool = False) -> pd.DataFrame:
    """Minute-level bars through binary COPY. The server's cost is per value sent (a send-function call and a
    length word each), so the query sends as few as it can: no symbol column for one symbol, otherwise the raw
    codes (ordered, so decoded once per run), and the source as a small integer. With `derive_labels` and
    `pack_values` (minute_bars' constraints guarantee both are safe) it leaves out bar_end and trade_date, which
    are computed here from bar_start, and sends five values a row instead of eleven: bar_start, open and high in
    one bigint, low and close in another, volume with is_final and the source in its low bits, and turnover."""
    widths = {len(name.encode()) for name in names}
    kinds: list[tuple[str, str]] = []
    symbol = sql.SQL("")
    if len(names) > 1 and len(widths) == 1:
        symbol, kinds = sql.SQL("symbol, "), [("symbol", f"S{widths.pop()}")]
    elif len(names) != 1:
        symbol = sql.SQL("array_position({}::text[], symbol)::int2, ").format(sql.Literal(names))
        kinds = [("symbol", "int2")]
    source = sql.SQL("CASE source {} END").format(sql.SQL(" ").join(
        sql.SQL("WHEN {} THEN {}").format(sql.Literal(s), sql.Literal(i)) for i, s in enumerate(_SOURCES)))
    if pack_values:
        values = sql.SQL("(open << 32) | high, (low << 32) | close, (volume << 3) | ({source} << 1) | is_final::int, "
                         "COALESCE(turnover_krw, -1)").format(source=source)
        value_kinds = [("open_high", "int8"), ("low_close", "int8"), ("volume_flags", "int8"),
                       ("turnover_krw", "int8")]
    else:
        values = sql.SQL("open, high, low, close, volume, COALESCE(turnover_krw, -1), is_final, ({source})::int2"
                         ).format(source=source)
        value_kinds = [("open", "int8"), ("high", "int8"), ("low", "int8"), ("close", "int8"), ("volume", "int8"),
                       ("turnover_krw", "int8"), ("is_final", "bool"), ("source", "int2")]
    labels = sql.SQL("") if derive_labels else sql.SQL("bar_end, trade_date, ")
    query = sql.SQL(
        "SELECT {symbol}bar_start, {labels}{values} FROM {table} WHERE symbol = ANY({names}::text[]) "
        "AND bar_start >= {lo} AND bar_start < {hi} ORDER BY symbol, bar_start").format(
        symbol=symbol, labels=labels, values=values, table=sql.Identifier(table),
        names=sql.Literal(names), lo=sql.Literal(lo.to_pydatetime()), hi=sql.Literal(hi.to_pydatetime()))
    kinds += [("bar_start", "ts"), *([] if derive_labels else [("bar_end", "ts"), ("trade_date", "date")]),
              *value_kinds]
    cols = copy_binary_read.decode(copy_binary_read.copy_out(conn, query), kinds)
    if derive_labels:
        # KST has been UTC+9 without daylight saving since 1988, so the KST date is a fixed-offset floor.
        cols["bar_end"] = cols["bar_start"] + _MINUTE_US
        cols["trade_date"] = (cols["bar_start"] + _KST_OFFSET_US) // _DAY_US
    if pack_values:
        high_close_mask = np.int64(0xFFFF_FFFF)
        open_high, low_close, volume_flags = cols.pop("open_high"), cols.pop("low_close"), cols.pop("volume_flags")
        cols["open"], cols["high"] = open_high >> 32, open_high & high_close_mask
        cols["low"], cols["close"] = low_close >> 32, low_close & high_close_mask
        cols["volume"], cols["is_final"] = volume_flags >> 3, (volume_flags & 1).astype(bool)
        cols["source"] = (volume_flags >> 1) & 3
    n = len(cols["open"])
    if len(names) == 1:
        cols["symbol"] = np.empty(n, dtype=object)
        cols["symbol"].fill(names[0])  # np.full(…, dtype=object) took 7-16 ms for a year, fill 1 ms
    elif kinds[0] == ("symbol", "int2"):
        cols["symbol"] = np.asarray(names, dtype=object)[cols["symbol"] - 1]
    else:
        raw = cols["symbol"]
        starts = np.r_[0, np.flatnonzero(raw[1:] != raw[:-1]) + 1] if n else np.zeros(0, dtype=np.int64)
        codes = np.array([raw[i].decode() for i in starts], dtype=object)
        cols["symbol"] = np.repeat(codes, np.diff(np.r_[starts, n]))
    for name in ("bar_start", "bar_end"):  # µs since 1970 UTC -> ns, viewed: no per-value conversion
        cols[name] = pd.DatetimeIndex((cols[name] * 1000).view("M8[ns]"), tz="UTC").tz_convert(KST)
    turnover = cols["turnover_krw"].astype(np.float64)
    turnover[cols["turnover_krw"] < 0] = np.nan
    cols["turnover_krw"] = turnover
    cols["trade_date"] = cols["trade_date"].astype("datetime64[D]").astype("datetime64[s]")
    cols["source"] = np.asarray(_SOURCES, dtype=object)[cols["source"]]
    # The arrays are fresh and ours: no copy, and no consolidation into 2-D blocks (that doubled the decode).
    return pd.DataFrame({name: cols[name] for name in _BAR_COLUMNS}, copy=False)


def _daily_bars(symbols: str | Iterable[str], start: object, end: object, adjusted: bool,
                dsn: str | None) -> pd.DataFrame:
    lo, hi = _window(start, end)
    rows = _conn(dsn).execute(
        """SELECT DISTINCT ON (symbol, trade_date) symbol, trade_date, open, high, low, close, volume, turnover_krw,
                  market_cap_krw, listed_shares, source, adjusted, fetched_at
             FROM daily_bars
            WHERE symbol = ANY(%s) AND adjusted = %s AND trade_date >= %s AND trade_date < %s
            ORDER BY symbol, trade_date, array_position(%s::text[], source)""",
        (_symbols(symbols), adjusted, lo.date(), hi.date() if hi.time() == dt.time() else hi.date() + dt.timedelta(1),
         _DAILY_PREFERENCE),
    ).fetchall()
    columns = ["symbol", "trade_date", "open", "high", "low", "close", "volume", "turnover_krw", "market_cap_krw",
               "listed_shares", "source", "adjusted", "fetched_at"]
    df = pd.DataFrame(rows, columns=columns)
    for c in ("open", "high", "low", "close", "volume", "turnover_krw", "market_cap_krw", "listed_shares"):
        df[c] = df[c].astype("Int64")
    return df


def option_matrix(
    underlying_symbol: str, metric: str, start: object, end: object, dsn: str | None = None
) -> pd.DataFrame:
    """The ATM-relative matrix of one expiry (e.g. "202509_KOSPI200") and metric ("iv", "delta", "price", …):
    one row per snapshot, indexed by timestamp, columns c_itm10 … c_atm … c_otm10, p_itm10 … p_otm10."""
    lo, hi = _window(start, end)
    cells = ", ".join(f"{c}::float8" for c in MATRIX_COLUMNS)
    rows = _conn(dsn).execute(
        f"""SELECT "timestamp", atm_strike::float8, {cells}, source FROM option_matrices
             WHERE underlying_symbol = %s AND metric_type = %s AND "timestamp" >= %s AND "timestamp" < %s
             ORDER BY "timestamp" """,
        (underlying_symbol, metric, lo, hi),
    ).fetchall()
    df = pd.DataFrame(rows, columns=["timestamp", "atm_strike", *MATRIX_COLUMNS, "source"])
    df[["atm_strike", *MATRIX_COLUMNS]] = df[["atm_strike", *MATRIX_COLUMNS]].astype("float64")  # NULL -> NaN
    df["timestamp"] = pd.to_datetime(df["timestamp"], utc=True).dt.tz_convert(KST)
    return df.set_index("timestamp")


def investor_flows(
    symbols: str | Iterable[str], start: object, end: object, include_provisional: bool = False,
    dsn: str | None = None,
) -> pd.DataFrame:
    """Daily investor flows per symbol (net/buy/sell in shares and KRW per investor type, incl. pension_fund).
    Final figures only, unless include_provisional=True, which falls back to provisional ones for days that
    have no final row yet (is_provisional tells which)."""
    lo, hi = _window(start, end)
    provisional = "" if include_provisional else "AND NOT is_provisional"
    cur = _conn(dsn).execute(
        f"""SELECT DISTINCT ON (symbol, trade_date, source) * FROM investor_flows
             WHERE symbol = ANY(%s) AND trade_date >= %s AND trade_date < %s {provisional}
             ORDER BY symbol, trade_date, source, is_provisional""",
        (_symbols(symbols), lo.date(), (hi - pd.Timedelta(microseconds=1)).date() + dt.timedelta(days=1)),
    )
    df = pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
    for c in df.columns:
        if c.endswith(("_qty", "_krw")):
            df[c] = df[c].astype("Int64")
    return df


def listed_on(d: object, dsn: str | None = None) -> pd.DataFrame:
    """Securities listed on KST date `d`, with the code, name, market and index membership they had that day."""
    day = pd.Timestamp(d).date()
    cur = _conn(dsn).execute("SELECT * FROM instruments_as_of(%s) ORDER BY symbol", (day,))
    return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description])
