-- The KRX trading calendar as data: what the platform decided and what each source said, so drift is visible.

CREATE TABLE trading_calendar (
    day               date        PRIMARY KEY,
    is_open           boolean     NOT NULL,
    open_at           timestamptz,
    close_at          timestamptz,
    is_late_open      boolean     NOT NULL DEFAULT false,
    special_reason    text,
    kis_is_open       boolean,
    xkrx_is_open      boolean,
    krx_is_open       boolean,
    sources_agree     boolean     GENERATED ALWAYS AS (
                          COALESCE(kis_is_open = is_open, true)
                          AND COALESCE(xkrx_is_open = is_open, true)
                          AND COALESCE(krx_is_open = is_open, true)) STORED,
    source            text        NOT NULL CHECK (source IN ('KIS', 'KRX', 'SIM_KIS', 'SIM_KRX', 'XKRX')),
    fetched_at        timestamptz NOT NULL,
    CHECK (is_open = (open_at IS NOT NULL)),
    CHECK (is_open = (close_at IS NOT NULL)),
    CHECK (close_at > open_at),
    CHECK (NOT is_late_open OR is_open)
);

COMMENT ON TABLE trading_calendar IS 'KRX stock-market sessions, one row per calendar day: whether the market opens, the regular session''s open and close instants, late opens (first trading day of the year 10:00, CSAT day +1 h), and what each calendar source said. sources_agree = false means the sources disagree and someone should look.';
COMMENT ON COLUMN trading_calendar.day IS 'Calendar day (KST date).';
COMMENT ON COLUMN trading_calendar.is_open IS 'The platform''s decision: the KRX stock market holds a regular session on this day.';
COMMENT ON COLUMN trading_calendar.open_at IS 'Regular session open (timestamptz; 09:00 KST normally, 10:00 KST on late-open days); NULL when closed.';
COMMENT ON COLUMN trading_calendar.close_at IS 'Regular session close (timestamptz; 15:30 KST normally, 16:30 KST on CSAT day); NULL when closed.';
COMMENT ON COLUMN trading_calendar.is_late_open IS 'True when the session opens later than 09:00 KST (first trading day of the year, CSAT day).';
COMMENT ON COLUMN trading_calendar.special_reason IS 'Free-text reason for a holiday or special session (e.g. 수능, 선거일, 연말휴장).';
COMMENT ON COLUMN trading_calendar.kis_is_open IS 'KIS holiday API (CTCA0903R opnd_yn = Y) for this day; NULL if not fetched.';
COMMENT ON COLUMN trading_calendar.xkrx_is_open IS 'exchange_calendars XKRX session for this day; NULL if not checked.';
COMMENT ON COLUMN trading_calendar.krx_is_open IS 'KRX Open API published daily data for this day (evidence after the fact); NULL if unknown.';
COMMENT ON COLUMN trading_calendar.sources_agree IS 'Computed: every source that has an opinion agrees with is_open.';
COMMENT ON COLUMN trading_calendar.source IS 'Source the decision was taken from: KIS, KRX, XKRX (exchange_calendars), SIM_KIS or SIM_KRX (simulator).';
COMMENT ON COLUMN trading_calendar.fetched_at IS 'When the decision was last refreshed.';
