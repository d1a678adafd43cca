-- Resampled stock bars on plain PostgreSQL (no TimescaleDB).
--
-- Why tables refreshed by window and not materialized views: REFRESH MATERIALIZED VIEW recomputes the whole
-- history, which would cost seconds per write once a year of minutes is stored, while the writer only ever changes
-- one day (or one minute). refresh_resampled_bars(start, end, symbols) recomputes just the buckets a write
-- touched; the platform's writer calls it in the same transaction as every minute_bars write, so readers never see
-- resampled bars that disagree with the minutes. On TimescaleDB the same names are views over continuous
-- aggregates with the same columns (0021_resampled_bars.timescale.sql).
--
-- Buckets are aligned with date_bin to 2000-01-03 00:00 UTC, which is what TimescaleDB's time_bucket uses; a
-- day has a whole number of 3/5/10/30/60-minute buckets and KST is UTC+9 with no DST, so buckets start at
-- 09:00, 09:05, ... KST on both paths. Daily buckets start at 00:00 KST.

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT * FROM (VALUES
        ('minute_bars_3m', '3 minutes'), ('minute_bars_5m', '5 minutes'), ('minute_bars_10m', '10 minutes'),
        ('minute_bars_30m', '30 minutes'), ('minute_bars_60m', '60 minutes'), ('minute_bars_1d', '1 day')
    ) AS v(name, width) LOOP
        EXECUTE format($f$
            CREATE TABLE %1$I (
                symbol        text COLLATE "C" NOT NULL,
                bar_start     timestamptz NOT NULL,
                bar_end       timestamptz NOT NULL,
                trade_date    date        NOT NULL,
                open          bigint      NOT NULL,
                high          bigint      NOT NULL,
                low           bigint      NOT NULL,
                close         bigint      NOT NULL,
                volume        bigint      NOT NULL,
                turnover_krw  bigint,
                bar_count     integer     NOT NULL,
                is_final      boolean     NOT NULL,
                source        text        NOT NULL,
                PRIMARY KEY (symbol, bar_start)
            )$f$, r.name);
    END LOOP;
END
$$;

CREATE FUNCTION refresh_resampled_bars(p_start timestamptz DEFAULT NULL, p_end timestamptz DEFAULT NULL,
                                       p_symbols text[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
    r record;
    lo timestamptz;
    hi timestamptz;
    n bigint;
    total bigint := 0;
BEGIN
    FOR r IN SELECT * FROM (VALUES
        ('minute_bars_3m', interval '3 minutes', timestamptz '2000-01-03 00:00:00+00'),
        ('minute_bars_5m', interval '5 minutes', timestamptz '2000-01-03 00:00:00+00'),
        ('minute_bars_10m', interval '10 minutes', timestamptz '2000-01-03 00:00:00+00'),
        ('minute_bars_30m', interval '30 minutes', timestamptz '2000-01-03 00:00:00+00'),
        ('minute_bars_60m', interval '60 minutes', timestamptz '2000-01-03 00:00:00+00'),
        ('minute_bars_1d', interval '1 day', timestamptz '2000-01-03 00:00:00+09')
    ) AS v(name, width, origin) LOOP
        -- Widen the window to whole buckets: a write of 09:07 changes the 09:05 five-minute bar.
        lo := CASE WHEN p_start IS NULL THEN '-infinity' ELSE date_bin(r.width, p_start, r.origin) END;
        hi := CASE WHEN p_end IS NULL THEN 'infinity'
                   ELSE date_bin(r.width, p_end - interval '1 microsecond', r.origin) + r.width END;
        EXECUTE format('DELETE FROM %I WHERE bar_start >= $1 AND bar_start < $2
                        AND ($3::text[] IS NULL OR symbol = ANY($3))', r.name)
            USING lo, hi, p_symbols;
        EXECUTE format($f$
            INSERT INTO %I (symbol, bar_start, bar_end, trade_date, open, high, low, close, volume,
                            turnover_krw, bar_count, is_final, source)
            SELECT symbol, bucket, bucket + $4, min(trade_date),
                   (array_agg(open ORDER BY bar_start))[1], max(high), min(low),
                   (array_agg(close ORDER BY bar_start DESC))[1],
                   sum(volume), sum(turnover_krw), count(*), bool_and(is_final), min(source)
              FROM (SELECT m.*, date_bin($4, m.bar_start, $5) AS bucket
                      FROM minute_bars m
                     WHERE m.bar_start >= $1 AND m.bar_start < $2
                       AND ($3::text[] IS NULL OR m.symbol = ANY($3))) s
             GROUP BY symbol, bucket$f$, r.name)
            USING lo, hi, p_symbols, r.width, r.origin;
        GET DIAGNOSTICS n = ROW_COUNT;
        total := total + n;
    END LOOP;
    RETURN total;
END
$$;
COMMENT ON FUNCTION refresh_resampled_bars(timestamptz, timestamptz, text[]) IS 'Recompute the resampled bar tables (minute_bars_3m ... minute_bars_1d) for the buckets overlapping [p_start, p_end) and the given symbols (NULL = all). Called by the writer after each minute_bars write; returns rows written. On TimescaleDB it is a no-op (continuous aggregates refresh by policy).';
