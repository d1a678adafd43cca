-- One-minute index-futures bars (KOSPI200, mini KOSPI200, KOSDAQ150). Prices are index points: numeric, not KRW.

CREATE TABLE futures_minute_bars (
    symbol          text COLLATE "C" NOT NULL CHECK (symbol ~ '^[0-9A-Z]{5,12}$'),
    bar_start       timestamptz   NOT NULL,
    bar_end         timestamptz   NOT NULL,
    underlying      text          NOT NULL CHECK (underlying IN ('KOSPI200', 'MINI_KOSPI200', 'KOSDAQ150')),
    expiry          text          NOT NULL CHECK (expiry ~ '^[0-9]{6}$'),
    open            numeric(12,2) NOT NULL CHECK (open > 0),
    high            numeric(12,2) NOT NULL CHECK (high > 0),
    low             numeric(12,2) NOT NULL CHECK (low > 0),
    close           numeric(12,2) NOT NULL CHECK (close > 0),
    volume          bigint        NOT NULL CHECK (volume >= 0),
    turnover_krw    bigint        CHECK (turnover_krw >= 0),
    open_interest   bigint        CHECK (open_interest >= 0),
    session         text          NOT NULL DEFAULT 'drv_day' CHECK (session IN ('drv_day', 'drv_night')),
    trade_date      date          NOT NULL,
    is_final        boolean       NOT NULL DEFAULT true,
    source          text          NOT NULL CHECK (source IN ('KIS', 'KRX', 'SIM_KIS', 'SIM_KRX')),
    fetched_at      timestamptz   NOT NULL,
    PRIMARY KEY (symbol, bar_start),
    CHECK (bar_end > bar_start),
    CHECK (high >= low),
    CHECK (high >= open AND high >= close),
    CHECK (low <= open AND low <= close)
);
CREATE INDEX futures_minute_bars_underlying_idx ON futures_minute_bars (underlying, expiry, bar_start DESC);

COMMENT ON TABLE futures_minute_bars IS 'One-minute bars of index futures, labelled by bar start. Prices in index points. The night session (18:00-06:00) belongs to the trade_date on which it ends.';
COMMENT ON COLUMN futures_minute_bars.symbol IS 'KIS futures short code (e.g. 101W09 until 2025, A01609 from 2026).';
COMMENT ON COLUMN futures_minute_bars.bar_start IS 'Start of the minute (inclusive), timestamptz.';
COMMENT ON COLUMN futures_minute_bars.bar_end IS 'End of the minute (exclusive).';
COMMENT ON COLUMN futures_minute_bars.underlying IS 'Underlying index: KOSPI200, MINI_KOSPI200 or KOSDAQ150.';
COMMENT ON COLUMN futures_minute_bars.expiry IS 'Contract month, YYYYMM.';
COMMENT ON COLUMN futures_minute_bars.open IS 'Opening price of the minute, index points.';
COMMENT ON COLUMN futures_minute_bars.high IS 'High of the minute, index points.';
COMMENT ON COLUMN futures_minute_bars.low IS 'Low of the minute, index points.';
COMMENT ON COLUMN futures_minute_bars.close IS 'Last price of the minute, index points (KIS futs_prpr).';
COMMENT ON COLUMN futures_minute_bars.volume IS 'Contracts traded in the minute (KIS cntg_vol).';
COMMENT ON COLUMN futures_minute_bars.turnover_krw IS 'Value traded in the minute, KRW; NULL if unknown.';
COMMENT ON COLUMN futures_minute_bars.open_interest IS 'Open interest at the end of the minute, contracts; NULL if unknown.';
COMMENT ON COLUMN futures_minute_bars.session IS 'drv_day (08:45-15:45) or drv_night (18:00-06:00).';
COMMENT ON COLUMN futures_minute_bars.trade_date IS 'Trading day the bar belongs to (KST date; night bars belong to the next day).';
COMMENT ON COLUMN futures_minute_bars.is_final IS 'false while the minute is still forming.';
COMMENT ON COLUMN futures_minute_bars.source IS 'KIS, KRX, or SIM_KIS / SIM_KRX (the simulator imitating KIS / KRX; never real data).';
COMMENT ON COLUMN futures_minute_bars.fetched_at IS 'When the source response behind this row was fetched.';
