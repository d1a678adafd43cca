-- A stock minute bar's bar_end and trade_date follow from its bar_start. The asset check bar_labels_consistent
-- (MinuteBarSchema) always said so; these constraints make it a guarantee for every row, whoever wrote it.
-- kis_platform.query relies on them: it computes both columns from bar_start instead of reading them, which
-- spares the server two of eleven values per row on the analysts' longest read (a year of one symbol's minutes,
-- docs/benchmarks.md).
--
-- TimescaleDB releases older than timescale/timescaledb#7864 (2025) refuse ADD CONSTRAINT on a hypertable with
-- compression enabled. There the constraints are left out with a notice, and kis_platform.query, which looks for
-- them, keeps reading both columns.
-- A row that breaks a rule makes this migration fail with the constraint's name: fix or delete such rows first.
DO $$
BEGIN
    ALTER TABLE minute_bars
        ADD CONSTRAINT minute_bars_bar_end_is_next_minute CHECK (bar_end - bar_start = interval '1 minute'),
        ADD CONSTRAINT minute_bars_trade_date_is_kst_date CHECK (trade_date = (bar_start AT TIME ZONE 'Asia/Seoul')::date);
    COMMENT ON COLUMN minute_bars.bar_end IS 'End of the minute (exclusive): always bar_start + 1 minute (constraint minute_bars_bar_end_is_next_minute).';
    COMMENT ON COLUMN minute_bars.trade_date IS 'Trading day the bar belongs to: the KST date of bar_start (constraint minute_bars_trade_date_is_kst_date).';
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'minute_bars: label constraints not added (%); analyst reads will fetch bar_end and trade_date', SQLERRM;
END
$$;
