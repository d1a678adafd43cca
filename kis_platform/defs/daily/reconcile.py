"""KIS vs KRX reconciliation of raw daily bars (the user's epic-003 rule: ≥ 99.5 % within ±0.5 %)."""

from __future__ import annotations

from datetime import date

import dagster as dg
import pandas as pd
import psycopg

from kis_platform.defs.resources import MarketDatabase

RECONCILIATION = "kis_krx_reconciliation"
TOLERANCE = 0.005
THRESHOLD = 0.995

_PAIRS = """
SELECT k.symbol, k.trade_date,
       k.open AS kis_open, x.open AS krx_open, k.high AS kis_high, x.high AS krx_high,
       k.low AS kis_low, x.low AS krx_low, k.close AS kis_close, x.close AS krx_close,
       k.volume AS kis_volume, x.volume AS krx_volume
FROM daily_bars k
JOIN daily_bars x ON x.symbol = k.symbol AND x.trade_date = k.trade_date AND x.source = %(krx)s AND NOT x.adjusted
WHERE k.source = %(kis)s AND NOT k.adjusted AND k.trade_date = ANY(%(days)s)
"""


def compare(pairs: pd.DataFrame) -> pd.DataFrame:
    """Pairs that disagree, with the fields that differ."""
    if pairs.empty:
        return pairs.assign(fields=pd.Series(dtype=str))
    bad = pd.Series(False, index=pairs.index)
    fields = pd.Series("", index=pairs.index)
    for f in ("open", "high", "low", "close"):
        kis, krx = pairs[f"kis_{f}"].astype("float64"), pairs[f"krx_{f}"].astype("float64")
        off = ((kis - krx).abs() > TOLERANCE * krx.abs()) | (kis.isna() != krx.isna())
        bad |= off
        fields = fields.where(~off, fields + f + " ")
    vol = pairs["kis_volume"] != pairs["krx_volume"]
    bad |= vol
    fields = fields.where(~vol, fields + "volume")
    return pairs[bad].assign(fields=fields[bad].str.strip())


def reconcile_days(database: MarketDatabase, days: list[date], kis_tag: str, krx_tag: str,
                   run_id: str) -> dg.AssetCheckResult:
    """Compare the stored KIS and KRX raw bars of `days`; keep the mismatches in `reconciliation_mismatches`."""
    with database.connect() as conn:
        pairs = pd.DataFrame(conn.execute(_PAIRS, {"kis": kis_tag, "krx": krx_tag, "days": days}).fetchall(),
                             columns=["symbol", "trade_date", "kis_open", "krx_open", "kis_high", "krx_high",
                                      "kis_low", "krx_low", "kis_close", "krx_close", "kis_volume", "krx_volume"])
        bad = compare(pairs)
        _store(conn, days, bad, kis_tag, krx_tag, run_id)
    share = 1.0 - len(bad) / len(pairs) if len(pairs) else 1.0
    return dg.AssetCheckResult(
        check_name=RECONCILIATION,
        passed=share >= THRESHOLD,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={
            "pairs_compared": len(pairs), "mismatches": len(bad), "agreement": round(share, 6),
            "threshold": THRESHOLD, "tolerance": TOLERANCE,
            "note": "no KIS/KRX pairs yet (KRX publishes D+1 08:00)" if pairs.empty else "",
            "mismatched_pairs": dg.MetadataValue.md(
                bad[["symbol", "trade_date", "fields", "kis_close", "krx_close", "kis_volume", "krx_volume"]]
                .head(50).to_markdown(index=False) if len(bad) else "none"),
        },
    )


def _store(conn: psycopg.Connection, days: list[date], bad: pd.DataFrame, kis_tag: str, krx_tag: str,
           run_id: str) -> None:
    """One row per (day, symbol, field) that differs, replacing earlier results for the same days."""
    rows = []
    for r in bad.itertuples(index=False):
        for field in r.fields.split():
            a, b = getattr(r, f"kis_{field}"), getattr(r, f"krx_{field}")
            a = None if pd.isna(a) else int(a)
            b = None if pd.isna(b) else int(b)
            diff = None if a is None or b in (None, 0) else round(100.0 * (a - b) / b, 4)
            rows.append((r.trade_date, r.symbol, field, kis_tag, krx_tag, a, b, diff, 100 * TOLERANCE, "ERROR", run_id))
    with conn.transaction():
        conn.execute("DELETE FROM reconciliation_mismatches WHERE trade_date = ANY(%s) AND source_a = %s "
                     "AND source_b = %s", (days, kis_tag, krx_tag))
        with conn.cursor().copy(
            "COPY reconciliation_mismatches (trade_date, symbol, field, source_a, source_b, value_a, value_b, "
            "diff_pct, tolerance_pct, severity, run_id) FROM STDIN"
        ) as copy:
            for row in rows:
                copy.write_row(row)
