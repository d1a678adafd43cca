"""KRX Open API daily data sets: whole-market stock bars and base info, index levels, futures and options.

Stock daily (`stock_daily`, market KOSPI or KOSDAQ): trade_date, symbol (ISU_CD short code), name, market, section,
open, high, low, close (KRW, Int64; null when no trade), change (KRW), change_pct, volume (shares),
turnover_krw, market_cap_krw, listed_shares.
Base info (`stock_base_info`): isin, symbol, name, short_name, english_name, listing_date, market, security_group,
section, share_kind, par_value (KRW; null for 무액면 no-par), listed_shares.
Index daily (`index_daily`, market KOSPI or KOSDAQ): trade_date, index_class, index_name, close, change, change_pct,
open, high, low (points, Float64), volume, turnover_krw, market_cap_krw.
Futures (`futures_daily`): trade_date, product, session (정규 regular / 야간 night), symbol (8-char KRX code), name,
close, change, open, high, low, spot_price, settlement_price (points), volume (contracts), turnover_krw,
open_interest. Options (`options_daily`) add right (CALL/PUT), implied_vol (%), next_base_price.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from kis_platform.sources.krx.client import KrxClient
from kis_platform.sources.parse import frame, output

STOCK_SPEC = [("trade_date", "BAS_DD", "date"), ("symbol", "ISU_CD", "str"), ("name", "ISU_NM", "str"),
              ("market", "MKT_NM", "str"), ("section", "SECT_TP_NM", "str?"), ("open", "TDD_OPNPRC", "int"),
              ("high", "TDD_HGPRC", "int"), ("low", "TDD_LWPRC", "int"), ("close", "TDD_CLSPRC", "int"),
              ("change", "CMPPREVDD_PRC", "int"), ("change_pct", "FLUC_RT", "float"), ("volume", "ACC_TRDVOL", "int"),
              ("turnover_krw", "ACC_TRDVAL", "int"), ("market_cap_krw", "MKTCAP", "int"),
              ("listed_shares", "LIST_SHRS", "int")]
BASE_SPEC = [("isin", "ISU_CD", "str"), ("symbol", "ISU_SRT_CD", "str"), ("name", "ISU_NM", "str"),
             ("short_name", "ISU_ABBRV", "str"), ("english_name", "ISU_ENG_NM", "str"),
             ("listing_date", "LIST_DD", "date"), ("market", "MKT_TP_NM", "str"), ("security_group", "SECUGRP_NM", "str"),
             ("section", "SECT_TP_NM", "str?"), ("share_kind", "KIND_STKCERT_TP_NM", "str"),
             ("par_value", "PARVAL", "str"), ("listed_shares", "LIST_SHRS", "int")]
INDEX_SPEC = [("trade_date", "BAS_DD", "date"), ("index_class", "IDX_CLSS", "str"), ("index_name", "IDX_NM", "str"),
              ("close", "CLSPRC_IDX", "float"), ("change", "CMPPREVDD_IDX", "float"), ("change_pct", "FLUC_RT", "float"),
              ("open", "OPNPRC_IDX", "float"), ("high", "HGPRC_IDX", "float"), ("low", "LWPRC_IDX", "float"),
              ("volume", "ACC_TRDVOL", "int?"), ("turnover_krw", "ACC_TRDVAL", "int?"),
              ("market_cap_krw", "MKTCAP", "int?")]
FUT_SPEC = [("trade_date", "BAS_DD", "date"), ("product", "PROD_NM", "str"), ("session", "MKT_NM", "str?"),
            ("symbol", "ISU_CD", "str"), ("name", "ISU_NM", "str"), ("close", "TDD_CLSPRC", "float"),
            ("change", "CMPPREVDD_PRC", "float"), ("open", "TDD_OPNPRC", "float"), ("high", "TDD_HGPRC", "float"),
            ("low", "TDD_LWPRC", "float"), ("spot_price", "SPOT_PRC", "float?"), ("settlement_price", "SETL_PRC", "float?"),
            ("volume", "ACC_TRDVOL", "int"), ("turnover_krw", "ACC_TRDVAL", "int"), ("open_interest", "ACC_OPNINT_QTY", "int")]
OPT_SPEC = [c for c in FUT_SPEC if c[0] not in ("session", "spot_price", "settlement_price")] + [
    ("right", "RGHT_TP_NM", "str"), ("implied_vol", "IMP_VOLT", "float?"), ("next_base_price", "NXTDD_BAS_PRC", "float?")]
MARKETS = {"KOSPI": ("stk", "kospi"), "KOSDAQ": ("ksq", "kosdaq")}


def parse(data: dict, spec: list[tuple[str, str, str]], service: str, raw: str = "") -> pd.DataFrame:
    """OutBlock_1 of a KRX answer as typed rows."""
    return frame(output(data, "OutBlock_1", service, list, raw), spec, service, raw)


def _get(client: KrxClient, service: str, day: date, spec: list[tuple[str, str, str]]) -> pd.DataFrame:
    reply = client.service(service, day)
    return parse(reply.data, spec, service, reply.text)


def stock_daily(client: KrxClient, market: str, day: date) -> pd.DataFrame:
    return _get(client, f"sto/{MARKETS[market][0]}_bydd_trd", day, STOCK_SPEC)


def parse_base_info(data: dict, service: str, raw: str = "") -> pd.DataFrame:
    df = parse(data, BASE_SPEC, service, raw)
    par = df["par_value"].str.replace(",", "")
    df["par_value"] = pd.to_numeric(par.where(par.str.fullmatch(r"\d+(\.\d+)?").fillna(False)), errors="raise").astype("Int64")
    return df


def stock_base_info(client: KrxClient, market: str, day: date) -> pd.DataFrame:
    service = f"sto/{MARKETS[market][0]}_isu_base_info"
    reply = client.service(service, day)
    return parse_base_info(reply.data, service, reply.text)


def index_daily(client: KrxClient, market: str, day: date) -> pd.DataFrame:
    return _get(client, f"idx/{MARKETS[market][1]}_dd_trd", day, INDEX_SPEC)


def futures_daily(client: KrxClient, day: date) -> pd.DataFrame:
    return _get(client, "drv/fut_bydd_trd", day, FUT_SPEC)


def options_daily(client: KrxClient, day: date) -> pd.DataFrame:
    return _get(client, "drv/opt_bydd_trd", day, OPT_SPEC)
