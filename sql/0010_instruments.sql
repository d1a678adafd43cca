-- Stock master: today's view (instruments) and its point-in-time history (instrument_history).
-- ISIN is the stable key: short codes can be reused after a delisting and are now alphanumeric (0037T0).

-- btree_gist lets an EXCLUDE constraint forbid two history rows of one ISIN from overlapping in time.
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE instruments (
    isin            text        PRIMARY KEY CHECK (isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
    symbol          text COLLATE "C" NOT NULL CHECK (symbol ~ '^[0-9A-Z]{6}$'),
    name            text        NOT NULL CHECK (name <> ''),
    name_en         text,
    market          text        NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
    sector          text,
    security_group  text,
    is_active       boolean     NOT NULL DEFAULT true,
    listing_date    date,
    delisting_date  date,
    listed_shares   bigint      CHECK (listed_shares >= 0),
    par_value_krw   bigint      CHECK (par_value_krw >= 0),
    is_kospi200     boolean     NOT NULL DEFAULT false,
    is_kosdaq150    boolean     NOT NULL DEFAULT false,
    is_kospi100     boolean     NOT NULL DEFAULT false,
    is_kospi50      boolean     NOT NULL DEFAULT false,
    is_krx300       boolean     NOT NULL DEFAULT false,
    source          text        NOT NULL CHECK (source IN ('KIS', 'KRX', 'SIM_KIS', 'SIM_KRX')),
    fetched_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (delisting_date IS NULL OR listing_date IS NULL OR delisting_date >= listing_date),
    CHECK (is_active OR delisting_date IS NOT NULL)
);
-- A short code belongs to at most one *listed* instrument at a time.
CREATE UNIQUE INDEX instruments_active_symbol_key ON instruments (symbol) WHERE is_active;
CREATE INDEX instruments_symbol_idx ON instruments (symbol);

COMMENT ON TABLE instruments IS 'Stock master as known today: one row per security (ISIN), listed or delisted. For "what was listed on day D" use instruments_as_of(D), which reads instrument_history.';
COMMENT ON COLUMN instruments.isin IS 'ISIN (KRX standard code, e.g. KR7005930003): the stable key of a security.';
COMMENT ON COLUMN instruments.symbol IS 'KRX short code, 6 characters, digits or upper-case letters (005930, 0037T0). Used as `symbol` in every market-data table.';
COMMENT ON COLUMN instruments.name IS 'Korean name (KRX ISU_ABBRV / KIS master name).';
COMMENT ON COLUMN instruments.name_en IS 'English name (KRX ISU_ENG_NM), if known.';
COMMENT ON COLUMN instruments.market IS 'Market where it is listed: KOSPI, KOSDAQ or KONEX.';
COMMENT ON COLUMN instruments.sector IS 'Industry / sector name as published by the source (KRX SECT_TP_NM or KIS index sector).';
COMMENT ON COLUMN instruments.security_group IS 'Security group as published (KRX SECUGRP_NM such as 주권, or KIS group code ST/EF/EN/RT...).';
COMMENT ON COLUMN instruments.is_active IS 'True while listed. Delisted securities stay in the table (soft delete) with is_active = false.';
COMMENT ON COLUMN instruments.listing_date IS 'First trading day (KST date).';
COMMENT ON COLUMN instruments.delisting_date IS 'Delisting date (KST date, first day it is no longer listed); NULL while listed.';
COMMENT ON COLUMN instruments.listed_shares IS 'Listed shares, count of shares (KIS master reports thousands: converted to shares).';
COMMENT ON COLUMN instruments.par_value_krw IS 'Par value per share, KRW; NULL for no-par (무액면).';
COMMENT ON COLUMN instruments.is_kospi200 IS 'Member of KOSPI 200 at the last master snapshot.';
COMMENT ON COLUMN instruments.is_kosdaq150 IS 'Member of KOSDAQ 150 at the last master snapshot.';
COMMENT ON COLUMN instruments.is_kospi100 IS 'Member of KOSPI 100 at the last master snapshot.';
COMMENT ON COLUMN instruments.is_kospi50 IS 'Member of KOSPI 50 at the last master snapshot.';
COMMENT ON COLUMN instruments.is_krx300 IS 'Member of KRX 300 at the last master snapshot.';
COMMENT ON COLUMN instruments.source IS 'Where the row came from: KIS, KRX, or SIM_KIS / SIM_KRX (the simulator imitating KIS / KRX; never real data).';
COMMENT ON COLUMN instruments.fetched_at IS 'When the source snapshot behind this row was fetched.';
COMMENT ON COLUMN instruments.updated_at IS 'When this row was last written.';


CREATE TABLE instrument_history (
    isin            text        NOT NULL CHECK (isin ~ '^[A-Z]{2}[A-Z0-9]{9}[0-9]$'),
    valid_from      date        NOT NULL,
    valid_to        date,
    symbol          text COLLATE "C" NOT NULL CHECK (symbol ~ '^[0-9A-Z]{6}$'),
    name            text        NOT NULL,
    market          text        NOT NULL CHECK (market IN ('KOSPI', 'KOSDAQ', 'KONEX')),
    sector          text,
    security_group  text,
    is_kospi200     boolean     NOT NULL DEFAULT false,
    is_kosdaq150    boolean     NOT NULL DEFAULT false,
    change_reason   text        NOT NULL CHECK (change_reason IN (
                        'LISTING', 'FIRST_SEEN', 'RENAME', 'MARKET_MOVE', 'CODE_CHANGE',
                        'SECTOR_CHANGE', 'INDEX_CHANGE', 'RELISTING', 'OTHER')),
    source          text        NOT NULL CHECK (source IN ('KIS', 'KRX', 'SIM_KIS', 'SIM_KRX')),
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (isin, valid_from),
    CHECK (valid_to IS NULL OR valid_to > valid_from),
    -- Point-in-time queries must find exactly one state per ISIN and day.
    EXCLUDE USING gist (isin WITH =, daterange(valid_from, valid_to, '[)') WITH &&)
);
CREATE INDEX instrument_history_symbol_idx ON instrument_history (symbol, valid_from DESC);
CREATE INDEX instrument_history_range_idx ON instrument_history USING gist (daterange(valid_from, valid_to, '[)'));

COMMENT ON TABLE instrument_history IS 'Point-in-time stock master (SCD type 2): one row per ISIN and period during which it was listed with the same code, name, market, sector and index membership. Rows exist only while listed; a delisting closes the last row. Rebuilt by rebuild_instrument_history() from instrument_snapshots (the stock_master asset); sync_instrument_history(day) is an incremental alternative for days applied in order.';
COMMENT ON COLUMN instrument_history.isin IS 'ISIN, the stable key (see instruments.isin).';
COMMENT ON COLUMN instrument_history.valid_from IS 'First KST date this state applies (inclusive).';
COMMENT ON COLUMN instrument_history.valid_to IS 'First KST date this state no longer applies (exclusive); NULL = still current. For the last period of a delisted security it is the delisting date.';
COMMENT ON COLUMN instrument_history.symbol IS 'KRX short code valid during the period.';
COMMENT ON COLUMN instrument_history.name IS 'Korean name valid during the period.';
COMMENT ON COLUMN instrument_history.market IS 'Market (KOSPI, KOSDAQ, KONEX) during the period.';
COMMENT ON COLUMN instrument_history.sector IS 'Sector during the period.';
COMMENT ON COLUMN instrument_history.security_group IS 'Security group during the period.';
COMMENT ON COLUMN instrument_history.is_kospi200 IS 'KOSPI 200 member during the period.';
COMMENT ON COLUMN instrument_history.is_kosdaq150 IS 'KOSDAQ 150 member during the period.';
COMMENT ON COLUMN instrument_history.change_reason IS 'Why this period started: LISTING (first day listed), FIRST_SEEN (already listed when the platform first saw it), RENAME, MARKET_MOVE (e.g. KOSDAQ to KOSPI), CODE_CHANGE, SECTOR_CHANGE, INDEX_CHANGE, RELISTING, OTHER.';
COMMENT ON COLUMN instrument_history.source IS 'Source of the snapshot that opened the period: KIS, KRX, SIM_KIS or SIM_KRX (simulator).';
COMMENT ON COLUMN instrument_history.recorded_at IS 'When the platform wrote this row (not when the change happened).';


-- "Which stocks were listed on D" in one query: SELECT * FROM instruments_as_of('2025-03-04').
CREATE FUNCTION instruments_as_of(d date)
RETURNS TABLE (
    isin text, symbol text, name text, market text, sector text, security_group text,
    is_kospi200 boolean, is_kosdaq150 boolean, valid_from date, valid_to date
)
LANGUAGE sql STABLE
AS $$
    SELECT h.isin, h.symbol, h.name, h.market, h.sector, h.security_group,
           h.is_kospi200, h.is_kosdaq150, h.valid_from, h.valid_to
    FROM instrument_history h
    WHERE h.valid_from <= d AND (h.valid_to IS NULL OR h.valid_to > d)
$$;
COMMENT ON FUNCTION instruments_as_of(date) IS 'Securities listed on KST date d, with the code, name, market and index membership they had that day (survivorship-free universe).';


-- Fold today's instruments table into the history. Idempotent: running it twice for the same day changes nothing.
CREATE FUNCTION sync_instrument_history(d date)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    changed integer := 0;
    n integer;
BEGIN
    -- 1. A period opened today that no longer matches (same-day re-run with corrected data): rewrite it in place.
    UPDATE instrument_history h
       SET symbol = i.symbol, name = i.name, market = i.market, sector = i.sector,
           security_group = i.security_group, is_kospi200 = i.is_kospi200, is_kosdaq150 = i.is_kosdaq150,
           source = i.source, recorded_at = now()
      FROM instruments i
     WHERE h.isin = i.isin AND h.valid_to IS NULL AND h.valid_from = d AND i.is_active
       AND (h.symbol, h.name, h.market, h.sector, h.security_group, h.is_kospi200, h.is_kosdaq150)
           IS DISTINCT FROM (i.symbol, i.name, i.market, i.sector, i.security_group, i.is_kospi200, i.is_kosdaq150);
    GET DIAGNOSTICS n = ROW_COUNT; changed := changed + n;

    -- 2. Delisted: close the open period at the delisting date (or today if the source gave none).
    UPDATE instrument_history h
       SET valid_to = GREATEST(COALESCE(i.delisting_date, d), h.valid_from + 1), recorded_at = now()
      FROM instruments i
     WHERE h.isin = i.isin AND h.valid_to IS NULL AND NOT i.is_active;
    GET DIAGNOSTICS n = ROW_COUNT; changed := changed + n;

    -- 3. Attributes changed: close the open period at d; step 4 opens the new one.
    UPDATE instrument_history h
       SET valid_to = d, recorded_at = now()
      FROM instruments i
     WHERE h.isin = i.isin AND h.valid_to IS NULL AND h.valid_from < d AND i.is_active
       AND (h.symbol, h.name, h.market, h.sector, h.security_group, h.is_kospi200, h.is_kosdaq150)
           IS DISTINCT FROM (i.symbol, i.name, i.market, i.sector, i.security_group, i.is_kospi200, i.is_kosdaq150);
    GET DIAGNOSTICS n = ROW_COUNT; changed := changed + n;

    -- 4. Listed instruments without an open period get one, labelled with why it started.
    INSERT INTO instrument_history (isin, valid_from, valid_to, symbol, name, market, sector, security_group,
                                    is_kospi200, is_kosdaq150, change_reason, source)
    SELECT i.isin,
           CASE WHEN prev.isin IS NULL AND i.listing_date IS NOT NULL AND i.listing_date <= d THEN i.listing_date
                ELSE d END,
           NULL, i.symbol, i.name, i.market, i.sector, i.security_group, i.is_kospi200, i.is_kosdaq150,
           CASE
               WHEN prev.isin IS NULL AND i.listing_date IS NOT NULL AND i.listing_date <= d THEN 'LISTING'
               WHEN prev.isin IS NULL THEN 'FIRST_SEEN'
               WHEN prev.valid_to < d THEN 'RELISTING'
               WHEN prev.market IS DISTINCT FROM i.market THEN 'MARKET_MOVE'
               WHEN prev.symbol IS DISTINCT FROM i.symbol THEN 'CODE_CHANGE'
               WHEN prev.name IS DISTINCT FROM i.name THEN 'RENAME'
               WHEN prev.sector IS DISTINCT FROM i.sector THEN 'SECTOR_CHANGE'
               WHEN (prev.is_kospi200, prev.is_kosdaq150) IS DISTINCT FROM (i.is_kospi200, i.is_kosdaq150)
                    THEN 'INDEX_CHANGE'
               ELSE 'OTHER'
           END,
           i.source
      FROM instruments i
      LEFT JOIN LATERAL (
            SELECT * FROM instrument_history p WHERE p.isin = i.isin ORDER BY p.valid_from DESC LIMIT 1
      ) prev ON true
     WHERE i.is_active
       AND NOT EXISTS (SELECT 1 FROM instrument_history o WHERE o.isin = i.isin AND o.valid_to IS NULL);
    GET DIAGNOSTICS n = ROW_COUNT; changed := changed + n;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION sync_instrument_history(date) IS 'Incremental alternative to rebuild_instrument_history() (not used by the stock_master asset, whose partitions may run in any order). Call (in date order) after writing the day''s master snapshot into instruments: closes and opens instrument_history periods for listings, delistings, renames, market moves and index changes effective on KST date d. Returns the number of history rows changed; idempotent.';
