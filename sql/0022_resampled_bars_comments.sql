-- Comments for the resampled bars, shared by both paths (tables on plain PostgreSQL, views over continuous
-- aggregates on TimescaleDB): the names and meanings are the same, so the data dictionary is too.

DO $$
DECLARE
    r record;
    c record;
BEGIN
    FOR r IN SELECT * FROM (VALUES
        ('minute_bars_3m', '3-minute'), ('minute_bars_5m', '5-minute'), ('minute_bars_10m', '10-minute'),
        ('minute_bars_30m', '30-minute'), ('minute_bars_60m', '60-minute'), ('minute_bars_1d', 'Daily')
    ) AS v(name, label) LOOP
        EXECUTE format('COMMENT ON %s %I IS %L',
            (SELECT CASE relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END
               FROM pg_class WHERE oid = r.name::regclass),
            r.name,
            r.label || ' stock bars resampled from minute_bars, labelled by bucket start'
            || CASE r.name WHEN 'minute_bars_1d' THEN ' (00:00 KST; one bar per KST day, for reconciliation with daily_bars).'
                           ELSE ' (buckets aligned to 09:00 KST).' END
            || ' TimescaleDB: view over a continuous aggregate refreshed by policy; plain PostgreSQL: table refreshed by the writer in the same transaction as each minute_bars write.');
        FOR c IN SELECT * FROM (VALUES
            ('symbol', 'KRX short code.'),
            ('bar_start', 'Start of the bucket (inclusive), timestamptz.'),
            ('bar_end', 'End of the bucket (exclusive), bar_start + bucket width.'),
            ('trade_date', 'Trading day of the bucket (KST date).'),
            ('open', 'Open of the first minute bar in the bucket, KRW.'),
            ('high', 'Highest minute high in the bucket, KRW.'),
            ('low', 'Lowest minute low in the bucket, KRW.'),
            ('close', 'Close of the last minute bar in the bucket, KRW.'),
            ('volume', 'Shares traded in the bucket (sum of minute volumes).'),
            ('turnover_krw', 'Value traded in the bucket, KRW (sum of minute turnover; NULL if no minute had it).'),
            ('bar_count', 'Number of one-minute bars in the bucket (minutes without trades have no bar).'),
            ('is_final', 'true when every minute bar in the bucket is final.'),
            ('source', 'Source of the minute bars (KIS or SIM_KIS; the smallest code if mixed).')
        ) AS w(col, txt) LOOP
            EXECUTE format('COMMENT ON COLUMN %I.%I IS %L', r.name, c.col, c.txt);
        END LOOP;
    END LOOP;
END
$$;
