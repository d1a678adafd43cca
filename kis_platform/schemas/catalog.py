"""Every data-quality rule by its stable name, with what it means to an analyst and how it is enforced.

Severity: GUARD = checked inside the ingest asset before writing; a failing row means nothing is written (or, for
snapshots that cannot be fetched again, only that row is dropped) and the `schema_guard` check fails (ERROR).
WARN = an asset check that flags without blocking. docs/data-quality.md lists the same rules; a test keeps the
two in step.
"""

from __future__ import annotations

GUARD, ERROR, WARN = "GUARD", "ERROR", "WARN"

RULES: dict[str, tuple[str, str]] = {
    # structure (pandera built-ins, renamed to stable names by the guard)
    "unknown_column": (GUARD, "The frame has a column the table does not have (typo or unmapped field)."),
    "required_column": (GUARD, "A column the table needs and cannot default is missing."),
    "dtype": (GUARD, "A value cannot be converted to the column's SQL type (e.g. text in a price)."),
    "not_null": (GUARD, "A NOT NULL column holds a null."),
    "value_allowed": (GUARD, "A code column holds a value outside its list (session, market, C/P, ...)."),
    "code_format": (GUARD, "A code has the wrong shape (expiry YYYYMM, futures code, matrix symbol)."),
    "value_range": (GUARD, "A number is outside its allowed range (e.g. a negative revision count)."),
    # identity
    "symbol_format": (GUARD, "A KRX short code is 6 characters of digits or upper-case letters (005930, 0037T0)."),
    "isin_format": (GUARD, "An ISIN is 2 letters + 9 alphanumerics + a Luhn check digit (KR7005930003)."),
    "name_present": (GUARD, "Every security has a non-empty name."),
    "source_known": (GUARD, ("Every row says it came from KIS, KRX or the simulator (SIM_KIS / SIM_KRX), so "
                                "simulated data is never taken as real.")),
    "no_duplicate_keys": (GUARD, "A row's key appears once; later copies of a key are refused."),
    # prices and volumes
    "price_positive": (GUARD, "Prices are above zero; a zero or negative price is a parsing or source error."),
    "price_on_tick_grid": (GUARD, ("Raw prices sit on the KRX tick grid for their price band and date; off-grid "
                                  "prices cannot trade.")),
    "high_ge_low": (GUARD, "A bar's high is at least its low."),
    "ohlc_within_range": (GUARD, "Open and close lie between low and high."),
    "volume_non_negative": (GUARD, "Volumes (and open interest) are never negative."),
    "amount_non_negative": (GUARD, "Traded values, buys, sells, shares and market caps are never negative."),
    "no_trade_row_shape": (GUARD, "A day without trades has volume 0 and no prices (never zero prices)."),
    "krx_not_adjusted": (GUARD, "KRX publishes raw prices only, so a KRX row is never adjusted."),
    # time
    "trade_date_is_session": (GUARD, "Rows exist only for KRX trading days (none on holidays)."),
    "bar_in_session": (GUARD, ("A bar or snapshot starts on a minute inside its session (stocks open..close with "
                              "the close bar = closing auction; derivatives 15 min either side).")),
    "bar_labels_consistent": (GUARD, "bar_end = bar_start + 1 min and trade_date is bar_start's KST date."),
    "listing_dates_ordered": (GUARD, ("Delisting is not before listing (nor listing after the snapshot day); a delisted "
                                     "security has a delisting date.")),
    "period_ordered": (GUARD, "A master history period ends after it starts."),
    "session_times_consistent": (GUARD, ("An open day has open and close instants, close after open; a closed "
                                        "day has neither.")),
    # options
    "iv_positive": (GUARD, "Implied volatility is above zero."),
    "delta_in_range": (GUARD, "Delta lies within [-1, 1]."),
    "delta_sign_matches_type": (GUARD, "Call deltas are >= 0 and put deltas <= 0."),
    "gamma_non_negative": (GUARD, "Gamma is never negative for a plain option."),
    "bid_le_ask": (GUARD, "When both quotes exist, the bid is not above the ask."),
    "matrix_cells_valid": (GUARD, "Matrix cells obey the chain rules of their metric (delta, iv, gamma)."),
    # flows
    "investor_nets_balance": (GUARD, ("Final net buying sums to about zero over all investor types (every share "
                                     "has a buyer and a seller).")),
    # quality tables
    "complete_means_complete": (GUARD, "A ledger line marked COMPLETE has all its expected rows."),
    "sources_differ": (GUARD, "A reconciliation compares two different sources."),
    # checks after writing
    "price_limit_30pct": (WARN, ("A close moved more than 30 % from the previous close (KRX limit); legit on "
                                "listing, re-listing and ex-rights days.")),
    "minute_volume_spike": (WARN, "A minute's volume is far above the symbol's median minute that day."),
    "stale_feed": (WARN, "The same bar (OHLC and volume) repeats minute after minute: the feed froze."),
    "freshness": (WARN, "The newest row is older than allowed while the session runs (no new bars)."),
    "completeness": (WARN, "Fewer rows than the calendar and master expect, beyond the threshold."),
    "schema_guard": (ERROR, "The ingest guard refused rows (see the guard rules above); nothing was written."),
}
