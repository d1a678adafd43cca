-- The listed universe as the sources reported it on each trading day. instrument_history and instruments are
-- rebuilt from these snapshots, so stock_master partitions can be (re)materialized in any order.
CREATE TABLE instrument_snapshots (
    day             date        NOT NULL,
    isin            text        NOT NULL CHECK (isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
    symbol          text COLLATE "C" NOT NULL CHECK (symbol ~ '^[0-9A-Z]{6}$'),
    name            text        NOT NULL CHECK (name <> ''),
    name_en         text,
    market          text        NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
    sector          text,
    security_group  text,
    listing_date    date,
    listed_shares   bigint      CHECK (listed_shares >= 0),
    par_value_krw   bigint      CHECK (par_value_krw >= 0),
    is_kospi200     boolean     NOT NULL DEFAULT false,
    is_kosdaq150    boolean     NOT NULL DEFAULT false,
    is_kospi100     boolean     NOT NULL DEFAULT false,
    is_kospi50      boolean     NOT NULL DEFAULT false,
    is_krx300       boolean     NOT NULL DEFAULT false,
    source          text        NOT NULL CHECK (source IN ('KIS', 'KRX', 'SIM_KIS', 'SIM_KRX')),
    fetched_at      timestamptz NOT NULL,
    PRIMARY KEY (day, isin)
);
CREATE INDEX instrument_snapshots_isin_idx ON instrument_snapshots (isin, day);

COMMENT ON TABLE instrument_snapshots IS 'Listed stocks as reported for each trading day (KRX base info, with index membership from the KIS master files). The point-in-time history (instrument_history) and the current master (instruments) are rebuilt from these rows.';
COMMENT ON COLUMN instrument_snapshots.day IS 'Trading day the snapshot describes (KST).';
COMMENT ON COLUMN instrument_snapshots.isin IS 'ISIN (KR7…), the stable key of a listed stock.';
COMMENT ON COLUMN instrument_snapshots.symbol IS 'Six-character KRX short code on that day (may be alphanumeric, e.g. 0037T0).';
COMMENT ON COLUMN instrument_snapshots.name IS 'Korean name on that day.';
COMMENT ON COLUMN instrument_snapshots.name_en IS 'English name on that day, when the source gives it.';
COMMENT ON COLUMN instrument_snapshots.market IS 'Market segment on that day: KOSPI, KOSDAQ or KONEX.';
COMMENT ON COLUMN instrument_snapshots.sector IS 'Sector name (KRX section / KIS sector) on that day.';
COMMENT ON COLUMN instrument_snapshots.security_group IS 'Security group (e.g. 주권 common stock) as the source names it.';
COMMENT ON COLUMN instrument_snapshots.listing_date IS 'Listing date reported by the source.';
COMMENT ON COLUMN instrument_snapshots.listed_shares IS 'Listed shares on that day (shares).';
COMMENT ON COLUMN instrument_snapshots.par_value_krw IS 'Par value per share (KRW); NULL for no-par (무액면) stock.';
COMMENT ON COLUMN instrument_snapshots.is_kospi200 IS 'Member of KOSPI200 per the KIS master file fetched with this snapshot.';
COMMENT ON COLUMN instrument_snapshots.is_kosdaq150 IS 'Member of KOSDAQ150 per the KIS master file fetched with this snapshot.';
COMMENT ON COLUMN instrument_snapshots.is_kospi100 IS 'Member of KOSPI100 per the KIS master file.';
COMMENT ON COLUMN instrument_snapshots.is_kospi50 IS 'Member of KOSPI50 per the KIS master file.';
COMMENT ON COLUMN instrument_snapshots.is_krx300 IS 'Member of KRX300 per the KIS master file.';
COMMENT ON COLUMN instrument_snapshots.source IS 'Source of the snapshot: KRX (KIS master for membership), or SIM_KRX for the simulator.';
COMMENT ON COLUMN instrument_snapshots.fetched_at IS 'When the snapshot was fetched.';

-- Rebuild instrument_history and instruments from every snapshot: a period (island) is a run of consecutive
-- snapshot days with identical attributes; it ends when an attribute changes or the stock is absent from a
-- later snapshot (delisted). Deterministic in the set of snapshots, whatever order they were written in.
CREATE FUNCTION rebuild_instrument_history()
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    n integer;
BEGIN
    -- Two stock_master runs finishing together must not interleave their rebuilds.
    PERFORM pg_advisory_xact_lock(hashtext('rebuild_instrument_history'));
    CREATE TEMP TABLE _islands ON COMMIT DROP AS
    WITH days AS (
        SELECT day, row_number() OVER (ORDER BY day) AS k, lead(day) OVER (ORDER BY day) AS next_day
        FROM (SELECT DISTINCT day FROM instrument_snapshots) d
    ), rows AS (
        SELECT s.*, d.k, d.next_day,
               lag(d.k) OVER w AS prev_k,
               lag((s.symbol, s.name, s.market, s.sector, s.security_group, s.is_kospi200, s.is_kosdaq150)::text) OVER w AS prev_attrs,
               (s.symbol, s.name, s.market, s.sector, s.security_group, s.is_kospi200, s.is_kosdaq150)::text AS attrs,
               lag(s.market) OVER w AS prev_market, lag(s.symbol) OVER w AS prev_symbol,
               lag(s.name) OVER w AS prev_name, lag(s.sector) OVER w AS prev_sector
        FROM instrument_snapshots s JOIN days d USING (day)
        WINDOW w AS (PARTITION BY s.isin ORDER BY s.day)
    ), marked AS (
        SELECT *, sum(CASE WHEN prev_k IS NULL OR prev_k <> k - 1 OR prev_attrs <> attrs THEN 1 ELSE 0 END)
                      OVER (PARTITION BY isin ORDER BY day) AS island
        FROM rows
    )
    SELECT isin, island,
           min(day) AS first_day, max(day) AS last_day,
           (array_agg(next_day ORDER BY day DESC))[1] AS after_last,
           (array_agg(symbol ORDER BY day DESC))[1] AS symbol,
           (array_agg(name ORDER BY day DESC))[1] AS name,
           (array_agg(name_en ORDER BY day DESC))[1] AS name_en,
           (array_agg(market ORDER BY day DESC))[1] AS market,
           (array_agg(sector ORDER BY day DESC))[1] AS sector,
           (array_agg(security_group ORDER BY day DESC))[1] AS security_group,
           (array_agg(listing_date ORDER BY day DESC))[1] AS listing_date,
           (array_agg(listed_shares ORDER BY day DESC))[1] AS listed_shares,
           (array_agg(par_value_krw ORDER BY day DESC))[1] AS par_value_krw,
           bool_or(is_kospi200) AS is_kospi200, bool_or(is_kosdaq150) AS is_kosdaq150,
           bool_or(is_kospi100) AS is_kospi100, bool_or(is_kospi50) AS is_kospi50, bool_or(is_krx300) AS is_krx300,
           (array_agg(source ORDER BY day DESC))[1] AS source,
           max(fetched_at) AS fetched_at,
           (array_agg(prev_k ORDER BY day))[1] AS prev_k, (array_agg(k ORDER BY day))[1] AS first_k,
           (array_agg(prev_market ORDER BY day))[1] AS prev_market,
           (array_agg(prev_symbol ORDER BY day))[1] AS prev_symbol,
           (array_agg(prev_name ORDER BY day))[1] AS prev_name,
           (array_agg(prev_sector ORDER BY day))[1] AS prev_sector
    FROM marked
    GROUP BY isin, island;

    DELETE FROM instrument_history;
    INSERT INTO instrument_history (isin, valid_from, valid_to, symbol, name, market, sector, security_group,
                                    is_kospi200, is_kosdaq150, change_reason, source)
    SELECT isin,
           CASE WHEN island = 1 AND listing_date IS NOT NULL AND listing_date < first_day THEN listing_date
                ELSE first_day END,
           after_last,  -- NULL when the island reaches the latest snapshot: still listed as it is
           symbol, name, market, sector, security_group, is_kospi200, is_kosdaq150,
           CASE
               WHEN island = 1 AND first_k = 1 THEN 'FIRST_SEEN'
               WHEN island = 1 THEN 'LISTING'
               WHEN prev_k <> first_k - 1 THEN 'RELISTING'
               WHEN prev_market IS DISTINCT FROM market THEN 'MARKET_MOVE'
               WHEN prev_symbol IS DISTINCT FROM symbol THEN 'CODE_CHANGE'
               WHEN prev_name IS DISTINCT FROM name THEN 'RENAME'
               WHEN prev_sector IS DISTINCT FROM sector THEN 'SECTOR_CHANGE'
               ELSE 'INDEX_CHANGE'
           END,
           source
    FROM _islands;
    GET DIAGNOSTICS n = ROW_COUNT;

    -- instruments: the latest period of every ISIN ever seen; delisted when absent from the latest snapshot.
    DELETE FROM instruments WHERE isin NOT IN (SELECT isin FROM _islands);
    INSERT INTO instruments AS i (isin, symbol, name, name_en, market, sector, security_group, is_active,
                                  listing_date, delisting_date, listed_shares, par_value_krw, is_kospi200,
                                  is_kosdaq150, is_kospi100, is_kospi50, is_krx300, source, fetched_at, updated_at)
    SELECT DISTINCT ON (isin) isin, symbol, name, name_en, market, sector, security_group, after_last IS NULL,
           listing_date, after_last, listed_shares, par_value_krw, is_kospi200, is_kosdaq150, is_kospi100,
           is_kospi50, is_krx300, source, fetched_at, now()
    FROM _islands
    ORDER BY isin, island DESC
    ON CONFLICT (isin) DO UPDATE SET
        symbol = EXCLUDED.symbol, name = EXCLUDED.name, name_en = EXCLUDED.name_en, market = EXCLUDED.market,
        sector = EXCLUDED.sector, security_group = EXCLUDED.security_group, is_active = EXCLUDED.is_active,
        listing_date = EXCLUDED.listing_date, delisting_date = EXCLUDED.delisting_date,
        listed_shares = EXCLUDED.listed_shares, par_value_krw = EXCLUDED.par_value_krw,
        is_kospi200 = EXCLUDED.is_kospi200, is_kosdaq150 = EXCLUDED.is_kosdaq150,
        is_kospi100 = EXCLUDED.is_kospi100, is_kospi50 = EXCLUDED.is_kospi50, is_krx300 = EXCLUDED.is_krx300,
        source = EXCLUDED.source, fetched_at = EXCLUDED.fetched_at, updated_at = now()
    WHERE (i.symbol, i.name, i.market, i.sector, i.is_active, i.delisting_date, i.listed_shares, i.is_kospi200,
           i.is_kosdaq150) IS DISTINCT FROM (EXCLUDED.symbol, EXCLUDED.name, EXCLUDED.market, EXCLUDED.sector,
           EXCLUDED.is_active, EXCLUDED.delisting_date, EXCLUDED.listed_shares, EXCLUDED.is_kospi200,
           EXCLUDED.is_kosdaq150);
    RETURN n;
END
$$;
COMMENT ON FUNCTION rebuild_instrument_history() IS 'Rebuilds instrument_history and instruments from instrument_snapshots; returns the number of history periods.';
