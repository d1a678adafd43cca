-- Investor flows per stock and day: who bought and sold, with the finer KIS split (FHPTJ04160001).
-- Wide on purpose: analysts compare investor types side by side (foreign_net_krw vs pension_fund_net_krw).

CREATE TABLE investor_flows (
    symbol          text COLLATE "C" NOT NULL CHECK (symbol ~ '^[0-9A-Z]{6}$'),
    trade_date      date        NOT NULL,
    source          text        NOT NULL CHECK (source IN ('KIS', 'KRX', 'SIM_KIS', 'SIM_KRX')),
    is_provisional  boolean     NOT NULL DEFAULT false,
    revision        integer     NOT NULL DEFAULT 0 CHECK (revision >= 0),
    fetched_at      timestamptz NOT NULL,
    PRIMARY KEY (symbol, trade_date, source, is_provisional)
);

-- 15 investor types x {net, buy, sell} x {qty, krw}: generated so names and comments cannot drift apart.
DO $$
DECLARE
    t record;
    m record;
BEGIN
    FOR t IN SELECT * FROM (VALUES
        ('foreign',              'frgn',      '외국인 (registered + other foreigners)'),
        ('foreign_registered',   'frgn_reg',  '외국인 등록 (registered foreigners)'),
        ('foreign_unregistered', 'frgn_nreg', '기타외국인 (unregistered foreigners)'),
        ('individual',           'prsn',      '개인 (individuals)'),
        ('institution',          'orgn',      '기관계 (all institutions)'),
        ('securities',           'scrt',      '금융투자/증권 (securities firms)'),
        ('investment_trust',     'ivtr',      '투신 (investment trusts)'),
        ('private_equity',       'pe_fund',   '사모펀드 (private funds)'),
        ('bank',                 'bank',      '은행 (banks)'),
        ('insurance',            'insu',      '보험 (insurers)'),
        ('merchant_bank',        'mrbn',      '종금 (merchant banks)'),
        ('pension_fund',         'fund',      '연기금 (pension funds, KIS "fund")'),
        ('other_finance',        'etc',       '기타금융 (other financial institutions)'),
        ('other_corp',           'etc_corp',  '기타법인 (other corporations)'),
        ('other_org',            'etc_orgt',  '기타단체 (other organisations)')
    ) AS v(col, kis, label) LOOP
        FOR m IN SELECT * FROM (VALUES
            ('net_qty',  'ntby_qty',     'Net buying, shares (buy minus sell)'),
            ('net_krw',  'ntby_tr_pbmn', 'Net buying, KRW (buy minus sell; KIS reports 백만원, stored x 1,000,000)'),
            ('buy_qty',  'shnu_vol',     'Bought, shares'),
            ('buy_krw',  'shnu_tr_pbmn', 'Bought, KRW (KIS 백만원 x 1,000,000)'),
            ('sell_qty', 'seln_vol',     'Sold, shares'),
            ('sell_krw', 'seln_tr_pbmn', 'Sold, KRW (KIS 백만원 x 1,000,000)')
        ) AS w(suffix, kis_suffix, label) LOOP
            EXECUTE format('ALTER TABLE investor_flows ADD COLUMN %I bigint %s',
                           t.col || '_' || m.suffix,
                           CASE WHEN m.suffix LIKE 'net%' THEN '' ELSE format('CHECK (%I >= 0)', t.col || '_' || m.suffix) END);
            EXECUTE format('COMMENT ON COLUMN investor_flows.%I IS %L', t.col || '_' || m.suffix,
                           format('%s by %s. KIS field %s_%s. NULL if the source does not give it.',
                                  m.label, t.label, t.kis, m.kis_suffix));
        END LOOP;
    END LOOP;
END
$$;

CREATE INDEX investor_flows_date_idx ON investor_flows (trade_date);

COMMENT ON TABLE investor_flows IS 'Daily buying and selling per stock by investor type (foreign, individual, institution and its parts, pension fund = 연기금), in shares and KRW. Provisional figures (KIS 가집계, intraday or before the final close report) are kept apart from final ones (is_provisional); revision counts how often a row''s figures changed after first being written.';
COMMENT ON COLUMN investor_flows.symbol IS 'KRX short code (instruments.symbol).';
COMMENT ON COLUMN investor_flows.trade_date IS 'Trading day (KST date).';
COMMENT ON COLUMN investor_flows.source IS 'KIS, KRX, or SIM_KIS / SIM_KRX (the simulator imitating KIS / KRX; never real data).';
COMMENT ON COLUMN investor_flows.is_provisional IS 'true = provisional figures published before the final report (may still change); false = final figures (KIS: after the close, complete after about 18:00 KST).';
COMMENT ON COLUMN investor_flows.revision IS 'Number of times the figures of this row changed after it was first written (0 = never revised); maintained by a trigger.';
COMMENT ON COLUMN investor_flows.fetched_at IS 'When the source response behind this row was fetched.';

-- Count revisions in the database so no writer can forget to: an UPDATE that changes any figure bumps it.
CREATE FUNCTION investor_flows_count_revision() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    probe investor_flows;
BEGIN
    probe := NEW;
    probe.fetched_at := OLD.fetched_at;
    probe.revision := OLD.revision;
    IF probe IS DISTINCT FROM OLD THEN
        NEW.revision := OLD.revision + 1;
    ELSE
        NEW.revision := OLD.revision;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER investor_flows_revision BEFORE UPDATE ON investor_flows
    FOR EACH ROW EXECUTE FUNCTION investor_flows_count_revision();
