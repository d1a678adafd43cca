-- Daily OHLCV per stock. Raw and adjusted series live in the same table but never in the same row:
-- `adjusted` is part of the key, so a raw row (false) and an adjusted row (true) for the same day and source
-- coexist and a query must say which it wants. Why not separate price columns: KRX publishes raw only and KIS
-- gives either series per request (FID_ORG_ADJ_PRC), so each fetch writes one complete series with its own
-- fetched_at (an adjusted series is "as of" the day it was fetched; peers.md §0.5).

CREATE TABLE daily_bars (
    symbol          text COLLATE "C" NOT NULL CHECK (symbol ~ '^[0-9A-Z]{6}$'),
    trade_date      date        NOT NULL,
    source          text        NOT NULL CHECK (source IN ('KIS', 'KRX', 'SIM_KIS', 'SIM_KRX')),
    adjusted        boolean     NOT NULL DEFAULT false,
    open            bigint      CHECK (open > 0),
    high            bigint      CHECK (high > 0),
    low             bigint      CHECK (low > 0),
    close           bigint      CHECK (close > 0),
    volume          bigint      NOT NULL CHECK (volume >= 0),
    turnover_krw    bigint      CHECK (turnover_krw >= 0),
    market_cap_krw  bigint      CHECK (market_cap_krw >= 0),
    listed_shares   bigint      CHECK (listed_shares >= 0),
    fetched_at      timestamptz NOT NULL,
    PRIMARY KEY (symbol, trade_date, source, adjusted),
    CHECK (high >= low),
    CHECK (high >= open AND high >= close),
    CHECK (low <= open AND low <= close),
    -- KRX sends "-" prices on days without a trade; that is a row with volume 0 and no OHLC, never zeros.
    CHECK (open IS NOT NULL OR volume = 0),
    -- The KRX Open API publishes unadjusted prices only.
    CHECK (NOT (adjusted AND source = 'KRX'))
);
CREATE INDEX daily_bars_date_idx ON daily_bars (trade_date, source, adjusted);

COMMENT ON TABLE daily_bars IS 'Daily OHLCV per stock and source. Raw (adjusted = false) and split/rights-adjusted (adjusted = true, KIS only) prices are separate rows; always filter on adjusted. The same day may come from KIS and KRX (see reconciliation_mismatches). Prices are KRW integers.';
COMMENT ON COLUMN daily_bars.symbol IS 'KRX short code (instruments.symbol).';
COMMENT ON COLUMN daily_bars.trade_date IS 'Trading day (KST date).';
COMMENT ON COLUMN daily_bars.source IS 'KIS, KRX (official KRX Open API), or SIM_KIS / SIM_KRX (the simulator imitating KIS / KRX; never real data).';
COMMENT ON COLUMN daily_bars.adjusted IS 'false = prices as traded that day; true = prices adjusted for later corporate actions, as published by KIS at fetched_at (values can change when a new event happens).';
COMMENT ON COLUMN daily_bars.open IS 'Opening price, KRW; NULL on a day without trades.';
COMMENT ON COLUMN daily_bars.high IS 'High price, KRW.';
COMMENT ON COLUMN daily_bars.low IS 'Low price, KRW.';
COMMENT ON COLUMN daily_bars.close IS 'Closing price, KRW.';
COMMENT ON COLUMN daily_bars.volume IS 'Traded volume, shares (KRX venue only unless the source says otherwise).';
COMMENT ON COLUMN daily_bars.turnover_krw IS 'Traded value, KRW (KIS acml_tr_pbmn, KRX ACC_TRDVAL).';
COMMENT ON COLUMN daily_bars.market_cap_krw IS 'Market capitalisation at the close, KRW (KRX MKTCAP; KIS hts_avls is 억원 and is multiplied by 100,000,000).';
COMMENT ON COLUMN daily_bars.listed_shares IS 'Listed shares at the close, shares.';
COMMENT ON COLUMN daily_bars.fetched_at IS 'When the source response behind this row was fetched.';
