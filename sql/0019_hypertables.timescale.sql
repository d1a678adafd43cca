-- TimescaleDB path only (written against the TimescaleDB 2.x documentation; verified separately, as the
-- extension cannot be installed on this project's machines).
-- Time-series tables become hypertables; old minute data is compressed per symbol; the landing zone expires.

CREATE EXTENSION IF NOT EXISTS timescaledb;

-- About one trading day per chunk: a day's partition rewrite touches one chunk, and "one symbol, one year"
-- reads ~250 chunks through their (symbol, bar_start) indexes. migrate_data moves rows written before the
-- extension appeared.
SELECT create_hypertable('minute_bars', 'bar_start', chunk_time_interval => INTERVAL '1 day',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('futures_minute_bars', 'bar_start', chunk_time_interval => INTERVAL '1 day',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('option_chain_snapshots', 'snapshot_ts', chunk_time_interval => INTERVAL '1 day',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('option_matrices', 'timestamp', chunk_time_interval => INTERVAL '7 days',
                         migrate_data => true, if_not_exists => true);
SELECT create_hypertable('raw_responses', 'fetched_at', chunk_time_interval => INTERVAL '1 day',
                         migrate_data => true, if_not_exists => true);

-- Compression: segment by the key analysts filter on, order by time so a segment decompresses in bar order.
-- Intraday upserts and same-week corrections hit uncompressed chunks; older rewrites still work (DML on
-- compressed chunks, TimescaleDB >= 2.11) but cost a decompression.
ALTER TABLE minute_bars SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol',
                             timescaledb.compress_orderby = 'bar_start DESC');
SELECT add_compression_policy('minute_bars', INTERVAL '7 days', if_not_exists => true);

ALTER TABLE futures_minute_bars SET (timescaledb.compress, timescaledb.compress_segmentby = 'symbol',
                                     timescaledb.compress_orderby = 'bar_start DESC');
SELECT add_compression_policy('futures_minute_bars', INTERVAL '7 days', if_not_exists => true);

ALTER TABLE option_chain_snapshots SET (timescaledb.compress,
                                        timescaledb.compress_segmentby = 'underlying, expiry',
                                        timescaledb.compress_orderby = 'snapshot_ts DESC, option_type, strike');
SELECT add_compression_policy('option_chain_snapshots', INTERVAL '7 days', if_not_exists => true);

ALTER TABLE option_matrices SET (timescaledb.compress,
                                 timescaledb.compress_segmentby = 'underlying_symbol, metric_type',
                                 timescaledb.compress_orderby = '"timestamp" DESC');
SELECT add_compression_policy('option_matrices', INTERVAL '14 days', if_not_exists => true);

ALTER TABLE raw_responses SET (timescaledb.compress, timescaledb.compress_segmentby = 'source, tr_id',
                               timescaledb.compress_orderby = 'fetched_at DESC, id');
SELECT add_compression_policy('raw_responses', INTERVAL '3 days', if_not_exists => true);

-- The landing zone is for re-parsing recent responses, not an archive: keep 90 days.
SELECT add_retention_policy('raw_responses', INTERVAL '90 days', if_not_exists => true);
