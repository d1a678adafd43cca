"""What each exportable data set contains, as one SELECT over the market database.

Every query is point-in-time: a stock belongs to `market` on a day when `instrument_history` says it was listed
there that day, so a backtest sees delisted names and market moves as they were (no survivorship bias).
Dates are KST trading days, both ends included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

MARKETS = ("ALL", "KOSPI", "KOSDAQ", "KONEX")
# Where index levels live once the daily domain writes them; the first table present is exported.
INDEX_TABLES = ("index_daily_bars", "index_daily")
INDEX_CODE_COLUMNS = ("index_code", "index_symbol", "symbol", "index_name")


@dataclass(frozen=True)
class Params:
    market: str
    index_codes: tuple[str, ...]
    date_from: dt.date
    date_to: dt.date


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    build: Callable[[psycopg.Connection, Params], sql.Composable | None]  # None: not present in this database


def _lit(value: object) -> sql.Literal:
    return sql.Literal(value)


def _in_market(p: Params, alias: str, day: str) -> sql.Composable:
    """The stock of row `alias` was listed on `p.market` on `day` (an SQL date expression)."""
    if p.market == "ALL":
        return sql.SQL("TRUE")
    return sql.SQL(
        "EXISTS (SELECT 1 FROM instrument_history h WHERE h.symbol = {a}.symbol AND h.market = {m} "
        "AND h.valid_from <= {d} AND (h.valid_to IS NULL OR h.valid_to > {d}))"
    ).format(a=sql.Identifier(alias), m=_lit(p.market), d=sql.SQL(day))


def _kst_window(column: str, p: Params) -> sql.Composable:
    """[date_from 00:00 KST, date_to + 1 day 00:00 KST): lets the (symbol, bar_start) key serve the range."""
    return sql.SQL("{c} >= ({f}::date)::timestamp AT TIME ZONE 'Asia/Seoul' "
                   "AND {c} < ({t}::date + 1)::timestamp AT TIME ZONE 'Asia/Seoul'").format(
        c=sql.Identifier(column), f=_lit(p.date_from), t=_lit(p.date_to))


def _daily_bars(_: psycopg.Connection, p: Params) -> sql.Composable:
    return sql.SQL("SELECT d.* FROM daily_bars d WHERE d.trade_date BETWEEN {f} AND {t} AND {m} "
                   "ORDER BY d.trade_date, d.symbol, d.source, d.adjusted").format(
        f=_lit(p.date_from), t=_lit(p.date_to), m=_in_market(p, "d", "d.trade_date"))


def _instruments(_: psycopg.Connection, p: Params) -> sql.Composable:
    market = sql.SQL("TRUE") if p.market == "ALL" else sql.SQL("h.market = {}").format(_lit(p.market))
    return sql.SQL(
        "SELECT h.isin, h.symbol, h.name, h.market, h.sector, h.security_group, h.is_kospi200, h.is_kosdaq150, "
        "h.valid_from, h.valid_to, h.change_reason, i.listing_date, i.delisting_date, i.listed_shares, h.source "
        "FROM instrument_history h LEFT JOIN instruments i USING (isin) "
        "WHERE h.valid_from <= {t} AND (h.valid_to IS NULL OR h.valid_to > {f}) AND {m} "
        "ORDER BY h.symbol, h.valid_from").format(f=_lit(p.date_from), t=_lit(p.date_to), m=market)


def _minute_bars(_: psycopg.Connection, p: Params) -> sql.Composable:
    return sql.SQL("SELECT b.* FROM minute_bars b WHERE {w} AND b.is_final AND {m} ORDER BY b.bar_start, b.symbol").format(
        w=_kst_window("bar_start", p), m=_in_market(p, "b", "b.trade_date"))


def _futures_minute_bars(_: psycopg.Connection, p: Params) -> sql.Composable:
    return sql.SQL("SELECT b.* FROM futures_minute_bars b WHERE {w} AND b.is_final ORDER BY b.bar_start, b.symbol").format(
        w=_kst_window("bar_start", p))


def _investor_flows(_: psycopg.Connection, p: Params) -> sql.Composable:
    return sql.SQL("SELECT f.* FROM investor_flows f WHERE f.trade_date BETWEEN {f} AND {t} AND {m} "
                   "ORDER BY f.trade_date, f.symbol, f.source, f.is_provisional").format(
        f=_lit(p.date_from), t=_lit(p.date_to), m=_in_market(p, "f", "f.trade_date"))


def _columns(conn: psycopg.Connection, table: str) -> list[str]:
    rows = conn.execute("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                        "AND table_name = %s ORDER BY ordinal_position", (table,)).fetchall()
    return [r[0] for r in rows]


def _index_daily(conn: psycopg.Connection, p: Params) -> sql.Composable | None:
    for table in INDEX_TABLES:
        columns = _columns(conn, table)
        if not columns:
            continue
        code = next((c for c in INDEX_CODE_COLUMNS if c in columns), None)
        only = (sql.SQL("TRUE") if code is None or not p.index_codes else
                sql.SQL("{} = ANY({})").format(sql.Identifier(code), _lit(list(p.index_codes))))
        return sql.SQL("SELECT * FROM {tb} WHERE trade_date BETWEEN {f} AND {t} AND {o} ORDER BY trade_date").format(
            tb=sql.Identifier(table), f=_lit(p.date_from), t=_lit(p.date_to), o=only)
    return None


def _quality_issues(_: psycopg.Connection, p: Params) -> sql.Composable:
    return sql.SQL("SELECT q.id, q.asset, q.partition_key, q.rule, q.severity, q.symbol, q.trade_date, "
                   "q.details::text AS details, q.run_id, q.created_at FROM data_quality_issues q "
                   "WHERE COALESCE(q.trade_date, (q.created_at AT TIME ZONE 'Asia/Seoul')::date) BETWEEN {f} AND {t} "
                   "ORDER BY q.id").format(f=_lit(p.date_from), t=_lit(p.date_to))


def _completeness(_: psycopg.Connection, p: Params) -> sql.Composable:
    return sql.SQL("SELECT c.dataset, c.trade_date, c.symbol, c.expected_rows, c.present_rows, c.missing_rows, "
                   "c.reason, c.details::text AS details, c.updated_at FROM completeness c "
                   "WHERE c.trade_date BETWEEN {f} AND {t} ORDER BY c.trade_date, c.dataset, c.symbol").format(
        f=_lit(p.date_from), t=_lit(p.date_to))


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("daily_bars", "daily OHLCV per stock, raw and adjusted rows (filter on `adjusted`)", _daily_bars),
    Dataset("instruments", "every listing period overlapping the range (point-in-time universe)", _instruments),
    Dataset("minute_bars", "final one-minute bars per stock, labelled by bar start", _minute_bars),
    Dataset("investor_flows", "daily buying and selling per stock by investor type", _investor_flows),
    Dataset("index_daily", "daily index levels for the requested index codes", _index_daily),
    Dataset("futures_minute_bars", "final one-minute index-futures bars", _futures_minute_bars),
    Dataset("quality_issues", "data-quality rule violations recorded for the range", _quality_issues),
    Dataset("completeness", "expected vs present rows per data set, day and symbol", _completeness),
)}
DEFAULT_DATASETS = ("daily_bars", "instruments", "investor_flows", "index_daily")


def resolve(names: Sequence[str]) -> list[Dataset]:
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        raise ValueError(f"unknown data set(s) {', '.join(unknown)}; choose from {', '.join(DATASETS)}")
    return [DATASETS[n] for n in dict.fromkeys(names)]
