-- Bounds that every real stock minute bar is far inside: prices fit a 32-bit integer (the highest KRX share
-- price ever quoted is a few million KRW; high bounds the other three prices through the CHECKs of 0013) and a
-- minute's volume stays below 2^60 shares. kis_platform.query relies on them: on the analysts' longest read (a
-- year of one symbol's minutes) the server sends open and high as one bigint, low and close as another, and
-- volume with is_final and the source in its three low bits, because the server's cost is per value sent
-- (docs/benchmarks.md). Same TimescaleDB caveat and fallback as 0102: without the constraints the read sends
-- every value on its own.
-- A row that breaks a rule makes this migration fail with the constraint's name: fix or delete such rows first.
DO $$
BEGIN
    ALTER TABLE minute_bars
        ADD CONSTRAINT minute_bars_prices_fit_int4 CHECK (high <= 2147483647),
        ADD CONSTRAINT minute_bars_volume_below_2_60 CHECK (volume < 1152921504606846976);
    COMMENT ON COLUMN minute_bars.high IS 'Highest trade price in the minute, KRW; at most 2^31 - 1 (constraint minute_bars_prices_fit_int4, so every price of the bar fits a 32-bit integer).';
    COMMENT ON COLUMN minute_bars.volume IS 'Shares traded in the minute (KIS cntg_vol); below 2^60 (constraint minute_bars_volume_below_2_60).';
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'minute_bars: value-range constraints not added (%); analyst reads will send every value', SQLERRM;
END
$$;
