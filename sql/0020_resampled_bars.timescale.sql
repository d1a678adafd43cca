-- TimescaleDB path: resampled bars as continuous aggregates (written against the TimescaleDB 2.x docs).
--
-- Analysts query minute_bars_3m ... minute_bars_1d, plain views over the aggregates cagg_minute_bars_*; the views
-- add bar_end, which a continuous aggregate cannot compute itself (timestamptz + interval is not immutable).
-- Columns and meaning are those of the plain path (0020_resampled_bars.plain.sql).
-- materialized_only = false (real-time aggregation): buckets newer than the last refresh are computed from
-- minute_bars at query time, so a just-written minute shows up at once, as on the plain path.
-- Created WITH NO DATA because a continuous aggregate cannot be filled inside the migration's transaction;
-- the refresh policies fill them, and kis_platform.storage.resample.refresh_resampled() refreshes older
-- windows after backfills.
-- time_bucket's default origin (2000-01-03 00:00 UTC) puts 3/5/10/30/60-minute buckets at 09:00 KST; daily
-- buckets use the Asia/Seoul day.

-- Written out statement by statement (not in a DO block): TimescaleDB handles CREATE MATERIALIZED VIEW … WITH
-- (timescaledb.continuous) as a top-level utility statement.

CREATE MATERIALIZED VIEW cagg_minute_bars_3m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT symbol,
       time_bucket(INTERVAL '3 minutes', bar_start) AS bucket,
       min(trade_date) AS trade_date,
       first(open, bar_start) AS open,
       max(high) AS high,
       min(low) AS low,
       last(close, bar_start) AS close,
       sum(volume)::bigint AS volume,
       sum(turnover_krw)::bigint AS turnover_krw,
       count(*)::integer AS bar_count,
       bool_and(is_final) AS is_final,
       min(source) AS source
  FROM minute_bars
 GROUP BY symbol, time_bucket(INTERVAL '3 minutes', bar_start)
WITH NO DATA;
SELECT add_continuous_aggregate_policy('cagg_minute_bars_3m', start_offset => INTERVAL '3 days', end_offset => NULL,
                                       schedule_interval => INTERVAL '1 minute', if_not_exists => true);
CREATE VIEW minute_bars_3m AS
SELECT symbol, bucket AS bar_start, bucket + INTERVAL '3 minutes' AS bar_end, trade_date, open, high, low, close,
       volume, turnover_krw, bar_count, is_final, source
  FROM cagg_minute_bars_3m;
COMMENT ON VIEW cagg_minute_bars_3m IS 'TimescaleDB continuous aggregate behind minute_bars_3m; query the view minute_bars_3m instead (same rows, plus bar_end).';
COMMENT ON COLUMN cagg_minute_bars_3m.bucket IS 'Start of the bucket (timestamptz); minute_bars_3m.bar_start.';

CREATE MATERIALIZED VIEW cagg_minute_bars_5m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT symbol,
       time_bucket(INTERVAL '5 minutes', bar_start) AS bucket,
       min(trade_date) AS trade_date,
       first(open, bar_start) AS open,
       max(high) AS high,
       min(low) AS low,
       last(close, bar_start) AS close,
       sum(volume)::bigint AS volume,
       sum(turnover_krw)::bigint AS turnover_krw,
       count(*)::integer AS bar_count,
       bool_and(is_final) AS is_final,
       min(source) AS source
  FROM minute_bars
 GROUP BY symbol, time_bucket(INTERVAL '5 minutes', bar_start)
WITH NO DATA;
SELECT add_continuous_aggregate_policy('cagg_minute_bars_5m', start_offset => INTERVAL '3 days', end_offset => NULL,
                                       schedule_interval => INTERVAL '1 minute', if_not_exists => true);
CREATE VIEW minute_bars_5m AS
SELECT symbol, bucket AS bar_start, bucket + INTERVAL '5 minutes' AS bar_end, trade_date, open, high, low, close,
       volume, turnover_krw, bar_count, is_final, source
  FROM cagg_minute_bars_5m;
COMMENT ON VIEW cagg_minute_bars_5m IS 'TimescaleDB continuous aggregate behind minute_bars_5m; query the view minute_bars_5m instead (same rows, plus bar_end).';
COMMENT ON COLUMN cagg_minute_bars_5m.bucket IS 'Start of the bucket (timestamptz); minute_bars_5m.bar_start.';

CREATE MATERIALIZED VIEW cagg_minute_bars_10m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT symbol,
       time_bucket(INTERVAL '10 minutes', bar_start) AS bucket,
       min(trade_date) AS trade_date,
       first(open, bar_start) AS open,
       max(high) AS high,
       min(low) AS low,
       last(close, bar_start) AS close,
       sum(volume)::bigint AS volume,
       sum(turnover_krw)::bigint AS turnover_krw,
       count(*)::integer AS bar_count,
       bool_and(is_final) AS is_final,
       min(source) AS source
  FROM minute_bars
 GROUP BY symbol, time_bucket(INTERVAL '10 minutes', bar_start)
WITH NO DATA;
SELECT add_continuous_aggregate_policy('cagg_minute_bars_10m', start_offset => INTERVAL '3 days', end_offset => NULL,
                                       schedule_interval => INTERVAL '1 minute', if_not_exists => true);
CREATE VIEW minute_bars_10m AS
SELECT symbol, bucket AS bar_start, bucket + INTERVAL '10 minutes' AS bar_end, trade_date, open, high, low, close,
       volume, turnover_krw, bar_count, is_final, source
  FROM cagg_minute_bars_10m;
COMMENT ON VIEW cagg_minute_bars_10m IS 'TimescaleDB continuous aggregate behind minute_bars_10m; query the view minute_bars_10m instead (same rows, plus bar_end).';
COMMENT ON COLUMN cagg_minute_bars_10m.bucket IS 'Start of the bucket (timestamptz); minute_bars_10m.bar_start.';

CREATE MATERIALIZED VIEW cagg_minute_bars_30m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT symbol,
       time_bucket(INTERVAL '30 minutes', bar_start) AS bucket,
       min(trade_date) AS trade_date,
       first(open, bar_start) AS open,
       max(high) AS high,
       min(low) AS low,
       last(close, bar_start) AS close,
       sum(volume)::bigint AS volume,
       sum(turnover_krw)::bigint AS turnover_krw,
       count(*)::integer AS bar_count,
       bool_and(is_final) AS is_final,
       min(source) AS source
  FROM minute_bars
 GROUP BY symbol, time_bucket(INTERVAL '30 minutes', bar_start)
WITH NO DATA;
SELECT add_continuous_aggregate_policy('cagg_minute_bars_30m', start_offset => INTERVAL '3 days', end_offset => NULL,
                                       schedule_interval => INTERVAL '5 minutes', if_not_exists => true);
CREATE VIEW minute_bars_30m AS
SELECT symbol, bucket AS bar_start, bucket + INTERVAL '30 minutes' AS bar_end, trade_date, open, high, low, close,
       volume, turnover_krw, bar_count, is_final, source
  FROM cagg_minute_bars_30m;
COMMENT ON VIEW cagg_minute_bars_30m IS 'TimescaleDB continuous aggregate behind minute_bars_30m; query the view minute_bars_30m instead (same rows, plus bar_end).';
COMMENT ON COLUMN cagg_minute_bars_30m.bucket IS 'Start of the bucket (timestamptz); minute_bars_30m.bar_start.';

CREATE MATERIALIZED VIEW cagg_minute_bars_60m
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT symbol,
       time_bucket(INTERVAL '60 minutes', bar_start) AS bucket,
       min(trade_date) AS trade_date,
       first(open, bar_start) AS open,
       max(high) AS high,
       min(low) AS low,
       last(close, bar_start) AS close,
       sum(volume)::bigint AS volume,
       sum(turnover_krw)::bigint AS turnover_krw,
       count(*)::integer AS bar_count,
       bool_and(is_final) AS is_final,
       min(source) AS source
  FROM minute_bars
 GROUP BY symbol, time_bucket(INTERVAL '60 minutes', bar_start)
WITH NO DATA;
SELECT add_continuous_aggregate_policy('cagg_minute_bars_60m', start_offset => INTERVAL '3 days', end_offset => NULL,
                                       schedule_interval => INTERVAL '5 minutes', if_not_exists => true);
CREATE VIEW minute_bars_60m AS
SELECT symbol, bucket AS bar_start, bucket + INTERVAL '60 minutes' AS bar_end, trade_date, open, high, low, close,
       volume, turnover_krw, bar_count, is_final, source
  FROM cagg_minute_bars_60m;
COMMENT ON VIEW cagg_minute_bars_60m IS 'TimescaleDB continuous aggregate behind minute_bars_60m; query the view minute_bars_60m instead (same rows, plus bar_end).';
COMMENT ON COLUMN cagg_minute_bars_60m.bucket IS 'Start of the bucket (timestamptz); minute_bars_60m.bar_start.';

CREATE MATERIALIZED VIEW cagg_minute_bars_1d
WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
SELECT symbol,
       time_bucket(INTERVAL '1 day', bar_start, 'Asia/Seoul') AS bucket,
       min(trade_date) AS trade_date,
       first(open, bar_start) AS open,
       max(high) AS high,
       min(low) AS low,
       last(close, bar_start) AS close,
       sum(volume)::bigint AS volume,
       sum(turnover_krw)::bigint AS turnover_krw,
       count(*)::integer AS bar_count,
       bool_and(is_final) AS is_final,
       min(source) AS source
  FROM minute_bars
 GROUP BY symbol, time_bucket(INTERVAL '1 day', bar_start, 'Asia/Seoul')
WITH NO DATA;
SELECT add_continuous_aggregate_policy('cagg_minute_bars_1d', start_offset => INTERVAL '10 days', end_offset => NULL,
                                       schedule_interval => INTERVAL '15 minutes', if_not_exists => true);
CREATE VIEW minute_bars_1d AS
SELECT symbol, bucket AS bar_start, bucket + INTERVAL '1 day' AS bar_end, trade_date, open, high, low, close,
       volume, turnover_krw, bar_count, is_final, source
  FROM cagg_minute_bars_1d;
COMMENT ON VIEW cagg_minute_bars_1d IS 'TimescaleDB continuous aggregate behind minute_bars_1d; query the view minute_bars_1d instead (same rows, plus bar_end).';
COMMENT ON COLUMN cagg_minute_bars_1d.bucket IS 'Start of the bucket (timestamptz); minute_bars_1d.bar_start.';

-- Column comments of the aggregates mirror those of the views (set in 0022).
DO $$
DECLARE
    r record;
    c text;
BEGIN
    FOR r IN SELECT unnest(ARRAY['3m', '5m', '10m', '30m', '60m', '1d']) AS suffix LOOP
        FOREACH c IN ARRAY ARRAY['symbol', 'trade_date', 'open', 'high', 'low', 'close', 'volume', 'turnover_krw',
                                 'bar_count', 'is_final', 'source'] LOOP
            EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', 'cagg_minute_bars_' || r.suffix, c,
                           'See minute_bars_' || r.suffix || '.' || c || '.');
        END LOOP;
    END LOOP;
END
$$;

-- Same name and signature as the plain path, so the writer's call works everywhere: continuous aggregates
-- track invalidated ranges themselves, and refresh_continuous_aggregate() cannot run inside a transaction.
CREATE FUNCTION refresh_resampled_bars(p_start timestamptz DEFAULT NULL, p_end timestamptz DEFAULT NULL,
                                       p_symbols text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE sql
AS $$ SELECT 0::bigint $$;
COMMENT ON FUNCTION refresh_resampled_bars(timestamptz, timestamptz, text[]) IS 'No-op on TimescaleDB: continuous aggregates are refreshed by policy (recent days) and by kis_platform.storage.resample.refresh_resampled() on an autocommit connection (older windows after backfills).';
