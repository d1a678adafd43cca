"""Bad-data injections into response rows, for the platform's data-quality checks."""

from __future__ import annotations

from dataclasses import dataclass

from kis_platform.simulator.faults import Faults


@dataclass(frozen=True)
class RowSpec:
    """Where the prices and the timestamp are in the rows of one TR's list output."""

    key: str  # "output2" / "output"
    close: str
    open: str
    high: str
    low: str
    date: str = "stck_bsop_date"
    time: str | None = None
    decimals: bool = False


def corrupt(rows: list[dict[str, str]], spec: RowSpec, faults: Faults, symbol: str) -> tuple[list[dict], list[str]]:
    """Rows with the configured bad-data faults applied, and the names of the faults that fired."""
    fired: list[str] = []
    out: list[dict[str, str]] = []
    for row in rows:
        key = (symbol, row.get(spec.date, ""), row.get(spec.time, "") if spec.time else "")
        row = dict(row)
        if faults.hit("negative_price", *key) and not row[spec.close].startswith("-"):
            row[spec.close] = "-" + row[spec.close]
            fired.append("negative_price")
        if faults.hit("off_grid_price", *key):
            row[spec.close] = _bump(row[spec.close], spec.decimals)
            fired.append("off_grid_price")
        if faults.hit("high_below_low", *key) and row[spec.high] != row[spec.low]:
            row[spec.high], row[spec.low] = row[spec.low], row[spec.high]
            fired.append("high_below_low")
        if spec.time and faults.hit("outside_session", *key):
            row[spec.time] = "170000"
            fired.append("outside_session")
        out.append(row)
        if faults.hit("duplicate_rows", *key):
            out.append(dict(row))
            fired.append("duplicate_rows")
    if spec.time and out and faults.hit("stale_feed", symbol, out[0].get(spec.date, "")):
        pivot = out[len(out) // 2]  # the feed froze here: every newer bar repeats it
        for row in out[: len(out) // 2]:
            for k in (spec.close, spec.open, spec.high, spec.low, "cntg_vol"):
                if k in row:
                    row[k] = pivot[k]
        fired.append("stale_feed")
    return out, fired


def _bump(value: str, decimals: bool) -> str:
    if decimals:
        return f"{float(value) + 0.01:.2f}"
    return str(int(value) + 1)


def nonsense_greeks(rows: list[dict[str, str]], faults: Faults, expiry: str) -> list[str]:
    """Impossible greeks (|delta| > 1, negative gamma, zero IV) on some option-board rows, in place."""
    fired = []
    for row in rows:
        if faults.hit("nonsense_greeks", expiry, row["optn_shrn_iscd"]):
            row["delta_val"], row["gama"], row["hts_ints_vltl"] = "1.7500", "-0.5000", "0.0000"
            fired.append("nonsense_greeks")
    return fired
