-- A mend of 0103. Its first form (checksum 817e765c8102c345, in the repository from 2026-11-22 00:52 to 02:58 UTC)
-- added the two value-range constraints without documenting them in the column comments; its present form
-- (f15e7e9423e7a694) sets the comments too. A migration already applied is never re-run, so a database that
-- applied the first form lacks the comments and lists 0103 as "changed since applied". This sets the comments
-- wherever the constraints exist (on any other database it repeats what 0103 did), and records that such a
-- database now holds what the present 0103 makes.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'minute_bars'::regclass
                                             AND conname = 'minute_bars_prices_fit_int4') THEN
        COMMENT ON COLUMN minute_bars.high IS 'Highest trade price in the minute, KRW; at most 2^31 - 1 (constraint minute_bars_prices_fit_int4, so every price of the bar fits a 32-bit integer).';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = 'minute_bars'::regclass
                                             AND conname = 'minute_bars_volume_below_2_60') THEN
        COMMENT ON COLUMN minute_bars.volume IS 'Shares traded in the minute (KIS cntg_vol); below 2^60 (constraint minute_bars_volume_below_2_60).';
    END IF;
END
$$;

UPDATE schema_migrations SET checksum = 'f15e7e9423e7a694'
 WHERE id = '0103_minute_bar_value_ranges' AND checksum = '817e765c8102c345';
