"""KIS master files (종목정보파일): kospi_code.mst, kosdaq_code.mst (cp949 fixed width) and fo_idx_code_mts.mst.

Stock master columns: short_code (6-9 chars, may be alphanumeric), isin, name, market (KOSPI/KOSDAQ), group_code
(ST stock, EF ETF, …), market_cap_size, sector_large/mid/small (KRX index sector codes), kospi200_sector (KOSPI
only), is_kospi100, is_kospi50, is_kosdaq150 (KOSDAQ only), is_krx300, is_spac, is_preferred, base_price (KRW),
trading_halt, liquidation_trade, administrative (관리종목), market_warning (code, "00" none), unfaithful_disclosure,
short_sale_overheat, abnormal_surge, par_value (KRW), listing_date, listed_shares_thousands, capital_krw,
prev_volume, market_cap_100m_krw (억원), settlement_month, base_month. Y/N flags are boolean.

Index F/O master (fo_idx_code_mts.mst, `|`-separated): product_type (1 futures, 5/6 call/put, B mini futures, …),
short_code, isin, name, atm_class, strike, month_class (0 continuous, 1 nearest …), underlying_code, underlying_name.
"""

from __future__ import annotations

import io
import zipfile

import httpx
import pandas as pd

from kis_platform.sources.errors import MalformedResponse, ServerError

_KOSPI_FLAGS = ("manufacturing low_liquidity governance kospi200_sector is_kospi100 is_kospi50 krx etp elw "
                "krx100 krx_auto krx_semi krx_bio krx_bank is_spac krx_energy krx_steel short_term_overheat "
                "krx_media krx_construction non1 krx_securities krx_ship krx_insurance krx_transport sri").split()
_KOSDAQ_FLAGS = ("venture low_liquidity krx etp krx100 krx_auto krx_semi krx_bio krx_bank is_spac krx_energy "
                 "krx_steel short_term_overheat krx_media krx_construction investment_caution krx_securities "
                 "krx_ship krx_insurance krx_transport is_kosdaq150").split()
_TAIL = [("base_price", 9), ("trade_unit", 5), ("after_hours_unit", 5), ("trading_halt", 1),
         ("liquidation_trade", 1), ("administrative", 1), ("market_warning", 2), ("warning_notice", 1),
         ("unfaithful_disclosure", 1), ("backdoor_listing", 1), ("lock_code", 2), ("par_change", 2),
         ("capital_increase", 2), ("margin_rate", 3), ("credit_available", 1), ("credit_days", 3),
         ("prev_volume", 12), ("par_value", 12), ("listing_date", 8), ("listed_shares_thousands", 15),
         ("capital_krw", 21), ("settlement_month", 2), ("ipo_price", 7), ("is_preferred", 1),
         ("short_sale_overheat", 1), ("abnormal_surge", 1), ("is_krx300", 1)]
_TAIL_END = [("sales", 9), ("operating_profit", 9), ("ordinary_profit", 9), ("net_income", 5), ("roe", 9),
             ("base_month", 8), ("market_cap_100m_krw", 9), ("group_company_code", 3), ("credit_limit_over", 1),
             ("collateral_loan", 1), ("stock_lending", 1)]
LAYOUTS = {
    "KOSPI": [("group_code", 2), ("market_cap_size", 1), ("sector_large", 4), ("sector_mid", 4), ("sector_small", 4)]
    + [(f, 1) for f in _KOSPI_FLAGS] + _TAIL + [("is_kospi", 1)] + _TAIL_END,
    "KOSDAQ": [("group_code", 2), ("market_cap_size", 1), ("sector_large", 4), ("sector_mid", 4), ("sector_small", 4)]
    + [(f, 1) for f in _KOSDAQ_FLAGS] + _TAIL + _TAIL_END,
}
_INTS = {"base_price", "par_value", "listed_shares_thousands", "capital_krw", "prev_volume", "market_cap_100m_krw"}
_BOOLS = {"is_kospi100", "is_kospi50", "is_kosdaq150", "is_krx300", "is_spac", "is_preferred", "trading_halt",
          "liquidation_trade", "administrative", "unfaithful_disclosure", "short_sale_overheat", "abnormal_surge"}
KEEP = ["short_code", "isin", "name", "market", "group_code", "market_cap_size", "sector_large", "sector_mid",
        "sector_small", "kospi200_sector", "is_kospi100", "is_kospi50", "is_kosdaq150", "is_krx300", "is_spac",
        "is_preferred", "base_price", "trading_halt", "liquidation_trade", "administrative", "market_warning",
        "unfaithful_disclosure", "short_sale_overheat", "abnormal_surge", "par_value", "listing_date",
        "listed_shares_thousands", "capital_krw", "prev_volume", "market_cap_100m_krw", "settlement_month",
        "base_month"]
FO_COLUMNS = ["product_type", "short_code", "isin", "name", "atm_class", "strike", "month_class", "underlying_code",
              "underlying_name"]


def _numbers(s: pd.Series, dtype: str, tr_id: str, field: str) -> pd.Series:
    out = pd.to_numeric(s.astype("string").str.strip().replace("", pd.NA), errors="coerce")
    bad = out.isna() & s.astype("string").str.strip().ne("") & s.notna()
    if bad.any():
        raise MalformedResponse(f"{field}={s[bad].iloc[0]!r} is not a number", tr_id=tr_id, field=field)
    return out.astype(dtype)


def parse_stock_master(content: bytes, market: str) -> pd.DataFrame:
    """Parse kospi_code.mst (market="KOSPI") or kosdaq_code.mst ("KOSDAQ") bytes."""
    layout = LAYOUTS[market]
    tail_len = sum(w for _, w in layout)
    rows = []
    for n, line in enumerate(content.split(b"\n")):
        line = line.rstrip(b"\r")
        if not line.strip():
            continue
        if len(line) < 21 + tail_len:
            raise MalformedResponse(f"line {n + 1} has {len(line)} bytes, expected {21 + tail_len}+",
                                    tr_id=f"{market.lower()}_code.mst", field="<line>", raw=line.decode("cp949", "replace"))
        head, tail = line[:-tail_len], line[-tail_len:]
        row = {"short_code": head[0:9].decode("ascii", "replace").strip(), "isin": head[9:21].decode("ascii").strip(),
               "name": head[21:].decode("cp949", "replace").strip(), "market": market}
        pos = 0
        for name, width in layout:
            row[name] = tail[pos:pos + width].decode("cp949", "replace").strip()
            pos += width
        rows.append(row)
    df = pd.DataFrame(rows, columns=["short_code", "isin", "name", "market"] + [n for n, _ in layout])
    for col in KEEP:
        if col not in df:
            df[col] = None
    df = df[KEEP].copy()
    for col in _INTS:
        df[col] = _numbers(df[col], "Int64", f"{market.lower()}_code.mst", col)
    for col in _BOOLS:
        df[col] = df[col].map({"Y": True, "N": False, "1": True, "0": False}).astype("boolean")
    df["listing_date"] = pd.to_datetime(df["listing_date"], format="%Y%m%d", errors="coerce").dt.date
    for col in df.columns:
        if df[col].dtype == object and col != "listing_date":
            df[col] = df[col].astype("string").replace("", pd.NA)
    return df


def parse_fo_index_master(content: bytes) -> pd.DataFrame:
    """Parse fo_idx_code_mts.mst bytes (cp949, `|`-separated, 9 fields)."""
    rows = [line.rstrip(b"\r").decode("cp949", "replace").split("|") for line in content.split(b"\n") if line.strip()]
    bad = [i for i, r in enumerate(rows) if len(r) != len(FO_COLUMNS)]
    if bad:
        raise MalformedResponse(f"line {bad[0] + 1} has {len(rows[bad[0]])} fields, expected 9",
                                tr_id="fo_idx_code_mts.mst", field="<line>")
    df = pd.DataFrame([[c.strip() for c in r] for r in rows], columns=FO_COLUMNS).astype("string")
    df["strike"] = _numbers(df["strike"], "Float64", "fo_idx_code_mts.mst", "strike")
    return df


def download_master(master_url: str, name: str, *, timeout: float = 30.0, transport: httpx.BaseTransport | None = None) -> bytes:
    """Download `<master_url>/<name>.zip` (no auth) and return the bytes of the `<name>` file inside."""
    try:
        with httpx.Client(timeout=timeout, transport=transport) as http:
            resp = http.get(f"{master_url}/{name}.zip")
    except httpx.HTTPError as exc:
        raise ServerError(f"master download failed ({type(exc).__name__})", tr_id=name) from None
    if resp.status_code != 200:
        raise ServerError(f"master download: HTTP {resp.status_code}", tr_id=name, status=resp.status_code)
    try:
        with zipfile.ZipFile(io.BytesIO(resp.content)) as zf:
            member = next((m for m in zf.namelist() if m.endswith(name)), zf.namelist()[0])
            return zf.read(member)
    except (zipfile.BadZipFile, IndexError):
        raise MalformedResponse("master download is not a zip file", tr_id=name, field="<zip>") from None


def stock_master(master_url: str, market: str = "KOSPI", **kwargs: object) -> pd.DataFrame:
    """Today's KOSPI or KOSDAQ master as a DataFrame."""
    name = {"KOSPI": "kospi_code.mst", "KOSDAQ": "kosdaq_code.mst"}[market]
    return parse_stock_master(download_master(master_url, name, **kwargs), market)  # type: ignore[arg-type]


def fo_index_master(master_url: str, **kwargs: object) -> pd.DataFrame:
    """Today's index futures/options master."""
    return parse_fo_index_master(download_master(master_url, "fo_idx_code_mts.mst", **kwargs))  # type: ignore[arg-type]
