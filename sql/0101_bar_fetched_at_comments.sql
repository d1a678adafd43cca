-- Since the bars' writer leaves a refetched bar alone when its values did not change, fetched_at tells when the
-- source first answered with the stored values, not when the bar was last asked for.
COMMENT ON COLUMN minute_bars.fetched_at IS 'When the source first answered with this row''s values (a later refetch returning the same values leaves the row, and this time, as they are).';
COMMENT ON COLUMN futures_minute_bars.fetched_at IS 'When the source first answered with this row''s values (a later refetch returning the same values leaves the row, and this time, as they are).';
