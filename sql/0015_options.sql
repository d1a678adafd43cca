-- KOSPI200 option chain snapshots (KIS option board, 전광판) and the ATM-relative matrices derived from them.

CREATE TABLE option_chain_snapshots (
    snapshot_ts       timestamptz   NOT NULL,
    underlying        text          NOT NULL CHECK (underlying IN (
                          'KOSPI200', 'MINI_KOSPI200', 'KOSDAQ150', 'WEEKLY_MON', 'WEEKLY_THU')),
    expiry            text          NOT NULL CHECK (expiry ~ '^[0-9]{6}$'),
    expiry_date       date,
    option_type       char(1)       NOT NULL CHECK (option_type IN ('C', 'P')),
    strike            numeric(12,2) NOT NULL CHECK (strike > 0),
    option_code       text          NOT NULL,
    price             numeric(12,2) CHECK (price >= 0),
    bid               numeric(12,2) CHECK (bid >= 0),
    ask               numeric(12,2) CHECK (ask >= 0),
    theoretical_price numeric(12,4),
    iv                numeric(10,4) CHECK (iv >= 0),
    delta             numeric(10,6) CHECK (delta BETWEEN -1 AND 1),
    gamma             numeric(12,6),
    theta             numeric(12,6),
    vega              numeric(12,6),
    rho               numeric(12,6),
    volume            bigint        CHECK (volume >= 0),
    turnover_krw      bigint        CHECK (turnover_krw >= 0),
    open_interest     bigint        CHECK (open_interest >= 0),
    open_interest_change bigint,
    moneyness         text          CHECK (moneyness IN ('ITM', 'ATM', 'OTM')),
    is_atm            boolean       NOT NULL DEFAULT false,
    underlying_price  numeric(12,2) CHECK (underlying_price > 0),
    futures_price     numeric(12,2) CHECK (futures_price > 0),
    source            text          NOT NULL CHECK (source IN ('KIS', 'KRX', 'SIM_KIS', 'SIM_KRX')),
    fetched_at        timestamptz   NOT NULL,
    PRIMARY KEY (snapshot_ts, underlying, expiry, option_type, strike),
    CHECK (bid IS NULL OR ask IS NULL OR ask = 0 OR bid = 0 OR ask >= bid)
);
CREATE INDEX option_chain_snapshots_expiry_idx ON option_chain_snapshots (underlying, expiry, snapshot_ts DESC);

COMMENT ON TABLE option_chain_snapshots IS 'Index-option chain as seen on the KIS option board at snapshot_ts: one row per (snapshot, underlying, expiry, call/put, strike) with price, quotes, implied volatility and greeks as published by KIS. These cannot be fetched again later: a missed snapshot is lost.';
COMMENT ON COLUMN option_chain_snapshots.snapshot_ts IS 'Minute the snapshot stands for (timestamptz, aligned to the minute; fetched_at is the actual request time).';
COMMENT ON COLUMN option_chain_snapshots.underlying IS 'Option family: KOSPI200, MINI_KOSPI200, KOSDAQ150, WEEKLY_MON, WEEKLY_THU.';
COMMENT ON COLUMN option_chain_snapshots.expiry IS 'Expiry as KIS names it: YYYYMM for monthlies, YYMMWW for weeklies.';
COMMENT ON COLUMN option_chain_snapshots.expiry_date IS 'Last trading day (KST date), if known.';
COMMENT ON COLUMN option_chain_snapshots.option_type IS 'C = call, P = put.';
COMMENT ON COLUMN option_chain_snapshots.strike IS 'Strike price, index points (KIS acpr).';
COMMENT ON COLUMN option_chain_snapshots.option_code IS 'KIS option short code (optn_shrn_iscd, e.g. 201W09350 or B01609355).';
COMMENT ON COLUMN option_chain_snapshots.price IS 'Last traded price (premium), index points (KIS optn_prpr); 1 point = KRW 250,000 per KOSPI200 contract.';
COMMENT ON COLUMN option_chain_snapshots.bid IS 'Best bid, index points (optn_bidp); 0 or NULL when there is none.';
COMMENT ON COLUMN option_chain_snapshots.ask IS 'Best ask, index points (optn_askp); 0 or NULL when there is none.';
COMMENT ON COLUMN option_chain_snapshots.theoretical_price IS 'KIS theoretical price, index points (hts_thpr).';
COMMENT ON COLUMN option_chain_snapshots.iv IS 'Implied volatility, percent (KIS hts_ints_vltl; 18.5 means 18.5 %).';
COMMENT ON COLUMN option_chain_snapshots.delta IS 'Delta, per 1 point of the underlying (KIS delta_val).';
COMMENT ON COLUMN option_chain_snapshots.gamma IS 'Gamma, change of delta per 1 point of the underlying (KIS gama).';
COMMENT ON COLUMN option_chain_snapshots.theta IS 'Theta as published by KIS (points per day).';
COMMENT ON COLUMN option_chain_snapshots.vega IS 'Vega as published by KIS (points per 1 % volatility).';
COMMENT ON COLUMN option_chain_snapshots.rho IS 'Rho as published by KIS (points per 1 % rate).';
COMMENT ON COLUMN option_chain_snapshots.volume IS 'Contracts traded so far today (acml_vol).';
COMMENT ON COLUMN option_chain_snapshots.turnover_krw IS 'Value traded so far today, KRW (acml_tr_pbmn after unit conversion).';
COMMENT ON COLUMN option_chain_snapshots.open_interest IS 'Open interest, contracts (hts_otst_stpl_qty).';
COMMENT ON COLUMN option_chain_snapshots.open_interest_change IS 'Change in open interest since the previous day, contracts (otst_stpl_qty_icdc).';
COMMENT ON COLUMN option_chain_snapshots.moneyness IS 'KIS classification atm_cls_name: ITM, ATM or OTM.';
COMMENT ON COLUMN option_chain_snapshots.is_atm IS 'True for the at-the-money strike used by option_matrices (see option_matrices.atm_rule).';
COMMENT ON COLUMN option_chain_snapshots.underlying_price IS 'Underlying index level at the snapshot, index points.';
COMMENT ON COLUMN option_chain_snapshots.futures_price IS 'Front futures price at the snapshot, index points, if known.';
COMMENT ON COLUMN option_chain_snapshots.source IS 'KIS, or SIM_KIS / SIM_KRX (the simulator imitating KIS / KRX; never real data).';
COMMENT ON COLUMN option_chain_snapshots.fetched_at IS 'When the option board response was fetched.';


CREATE TABLE option_matrices (
    "timestamp"         timestamptz   NOT NULL,
    underlying_symbol   text          NOT NULL CHECK (underlying_symbol ~ '^[0-9]{6}_[A-Z0-9_]+$'),
    metric_type         text          NOT NULL CHECK (metric_type IN (
                            'price', 'iv', 'delta', 'gamma', 'theta', 'vega', 'rho', 'volume',
                            'open_interest', 'bid', 'ask', 'theoretical_price', 'strike')),
    atm_strike          numeric(12,2) CHECK (atm_strike > 0),
    atm_rule            text          NOT NULL DEFAULT 'kis_atm_flag',
    c_itm10 numeric, c_itm9 numeric, c_itm8 numeric, c_itm7 numeric, c_itm6 numeric,
    c_itm5 numeric, c_itm4 numeric, c_itm3 numeric, c_itm2 numeric, c_itm1 numeric,
    c_atm numeric,
    c_otm1 numeric, c_otm2 numeric, c_otm3 numeric, c_otm4 numeric, c_otm5 numeric,
    c_otm6 numeric, c_otm7 numeric, c_otm8 numeric, c_otm9 numeric, c_otm10 numeric,
    p_itm10 numeric, p_itm9 numeric, p_itm8 numeric, p_itm7 numeric, p_itm6 numeric,
    p_itm5 numeric, p_itm4 numeric, p_itm3 numeric, p_itm2 numeric, p_itm1 numeric,
    p_atm numeric,
    p_otm1 numeric, p_otm2 numeric, p_otm3 numeric, p_otm4 numeric, p_otm5 numeric,
    p_otm6 numeric, p_otm7 numeric, p_otm8 numeric, p_otm9 numeric, p_otm10 numeric,
    source              text          NOT NULL CHECK (source IN ('KIS', 'KRX', 'SIM_KIS', 'SIM_KRX')),
    fetched_at          timestamptz   NOT NULL,
    PRIMARY KEY ("timestamp", underlying_symbol, metric_type)
);
CREATE INDEX option_matrices_symbol_idx ON option_matrices (underlying_symbol, metric_type, "timestamp" DESC);

COMMENT ON TABLE option_matrices IS 'ATM-relative option matrix: for each snapshot, expiry and metric, the metric''s value at the ATM strike and 1..10 strikes in and out of the money, for calls (c_) and puts (p_). Derived from option_chain_snapshots; the user''s original layout. Strike k steps ITM for a call is k strikes below ATM; for a put, k strikes above.';
COMMENT ON COLUMN option_matrices."timestamp" IS 'Snapshot minute (timestamptz; equals option_chain_snapshots.snapshot_ts).';
COMMENT ON COLUMN option_matrices.underlying_symbol IS 'Expiry and underlying, YYYYMM_NAME, e.g. 202509_KOSPI200.';
COMMENT ON COLUMN option_matrices.metric_type IS 'Which chain column the cells hold: price, iv (percent), delta, gamma, theta, vega, rho, volume (contracts), open_interest (contracts), bid, ask, theoretical_price (index points) or strike (the strike at each position, index points).';
COMMENT ON COLUMN option_matrices.atm_strike IS 'Strike chosen as ATM for this snapshot, index points.';
COMMENT ON COLUMN option_matrices.atm_rule IS 'How the ATM strike was chosen (versioned rule name): kis_atm_flag, nearest_to_futures, nearest_to_spot.';
COMMENT ON COLUMN option_matrices.source IS 'KIS, or SIM_KIS / SIM_KRX (the simulator imitating KIS / KRX; never real data).';
COMMENT ON COLUMN option_matrices.fetched_at IS 'When the underlying chain snapshot was fetched.';

-- 42 cells with the same meaning: comment them in a loop rather than by hand.
DO $$
DECLARE
    side text;
    pos text;
    k int;
BEGIN
    FOREACH side IN ARRAY ARRAY['c', 'p'] LOOP
        EXECUTE format('COMMENT ON COLUMN option_matrices.%I IS %L', side || '_atm',
            format('%s at the ATM strike, in the unit of metric_type; NULL if that strike was not listed.',
                   CASE side WHEN 'c' THEN 'Call' ELSE 'Put' END));
        FOR k IN 1..10 LOOP
            FOREACH pos IN ARRAY ARRAY['itm', 'otm'] LOOP
                EXECUTE format('COMMENT ON COLUMN option_matrices.%I IS %L', side || '_' || pos || k,
                    format('%s %s strike(s) %s the money (%s ATM), in the unit of metric_type; NULL if not listed.',
                           CASE side WHEN 'c' THEN 'Call' ELSE 'Put' END, k,
                           CASE pos WHEN 'itm' THEN 'in' ELSE 'out of' END,
                           CASE WHEN (side = 'c') = (pos = 'itm') THEN 'below' ELSE 'above' END));
            END LOOP;
        END LOOP;
    END LOOP;
END
$$;
