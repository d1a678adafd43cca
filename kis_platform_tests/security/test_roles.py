"""The analysts' role (kis_analyst) reads every data table and writes nothing, and never sees what the platform
sent or received in the landing zone (raw_responses.params: the request; raw_responses.body: the answer).

Every statement is tried with the role's read-only default switched off, so it is the privileges that refuse it,
not only `default_transaction_read_only` (which the analyst may change for its own session)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from kis_platform.storage.admin import role_dsn
from kis_platform.storage.roles import ANALYST_ROLE, RAW_RESPONSES_PUBLIC_COLUMNS, WRITER_ROLE, ensure_roles
from kis_platform_tests.conftest import PgServer
from kis_platform_tests.security.sweep import report

ANALYST_PW, WRITER_PW = "analyst-security-pw", "writer-security-pw"
PAYLOAD = ("params", "body")
REFUSED = (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)


@pytest.fixture
def analyst(market_db: str) -> Iterator[tuple[str, str]]:
    """(analyst DSN, admin DSN) of a migrated database with the roles, one landed response and one minute bar."""
    with psycopg.connect(market_db, autocommit=True) as conn:
        ensure_roles(conn, conn.execute("SELECT current_database()").fetchone()[0], ANALYST_PW, WRITER_PW)
        conn.execute("INSERT INTO raw_responses (fetched_at, source, path, params, status, body) VALUES "
                     "(now(), 'SIM_KIS', '/uapi/x', '{\"fid_input_iscd\": \"005930\"}', 200, 'landed body text')")
        conn.execute("INSERT INTO minute_bars (symbol, bar_start, bar_end, open, high, low, close, volume, "
                     "trade_date, is_final, source, fetched_at) VALUES ('005930', '2026-11-20 10:00+09', "
                     "'2026-11-20 10:01+09', 10, 10, 10, 10, 1, '2026-11-20', true, 'SIM_KIS', now())")
        conn.execute("ANALYZE raw_responses")
    yield role_dsn(market_db, ANALYST_ROLE, ANALYST_PW), market_db


def _relations(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT c.relname, c.relkind::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1").fetchall()


def _snapshot(admin: str) -> dict[str, object]:
    """What the analyst must not be able to change: relations, functions, schemas, row counts, grants."""
    with psycopg.connect(admin) as conn:
        rels = _relations(conn)
        counts = {name: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))).fetchone()[0]
                  for name, kind in rels}
        return {
            "relations": rels, "counts": counts,
            "functions": conn.execute("SELECT oid::regprocedure::text FROM pg_proc WHERE pronamespace = "
                                      "'public'::regnamespace ORDER BY 1").fetchall(),
            "schemas": conn.execute("SELECT nspname FROM pg_namespace ORDER BY 1").fetchall(),
            "acls": conn.execute("SELECT relname, relacl::text, attacls FROM pg_class c LEFT JOIN LATERAL (SELECT "
                                 "array_agg(attname || '=' || attacl::text ORDER BY attnum) AS attacls FROM "
                                 "pg_attribute WHERE attrelid = c.oid AND attacl IS NOT NULL) a ON true WHERE "
                                 "relnamespace = 'public'::regnamespace ORDER BY 1").fetchall(),
            "memberships": conn.execute("SELECT roleid::regrole::text, member::regrole::text FROM pg_auth_members "
                                        "ORDER BY 1, 2").fetchall(),
            "largeobjects": conn.execute("SELECT count(*) FROM pg_largeobject_metadata").fetchone()[0],
        }


def test_analyst_reads_every_data_table(analyst: tuple[str, str]) -> None:
    dsn, _ = analyst
    with psycopg.connect(dsn, autocommit=True) as conn:
        relations = _relations(conn)
        read = []
        for name, _kind in relations:
            columns = (sql.SQL(", ").join(map(sql.Identifier, RAW_RESPONSES_PUBLIC_COLUMNS))
                       if name == "raw_responses" else sql.SQL("*"))
            conn.execute(sql.SQL("SELECT {} FROM {} LIMIT 1").format(columns, sql.Identifier(name))).fetchall()
            read.append(name)
        assert conn.execute("SELECT count(*) FROM instruments_as_of(current_date)").fetchone() == (0,)
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("on",)
    assert {"minute_bars", "daily_bars", "option_matrices", "raw_responses", "data_quality_issues"} <= set(read)
    report("analyst reads", f"SELECT on all {len(read)} tables/views of public (raw_responses: "
                            f"{', '.join(RAW_RESPONSES_PUBLIC_COLUMNS)} only); sessions start read-only")


WRITE_PRIVILEGES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def test_analyst_cannot_write_or_change_anything(analyst: tuple[str, str]) -> None:
    dsn, admin = analyst
    before = _snapshot(admin)
    tried: list[str] = []
    allowed: list[str] = []

    def attempt(conn: psycopg.Connection, statement: sql.Composable | str, must_refuse: bool = True) -> None:
        text = statement if isinstance(statement, str) else statement.as_string(conn)
        tried.append(text)
        try:
            with conn.transaction():
                conn.execute(statement)
        except REFUSED:
            return
        except psycopg.Error as exc:  # any other error means the privilege check let the statement through
            allowed.append(f"{text} -> {type(exc).__name__}")
            return
        if must_refuse:
            allowed.append(text)

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        database = conn.execute("SELECT current_database()").fetchone()[0]
        schemas = [r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%' "
                                              "AND nspname <> 'information_schema'")]
        relations = _relations(conn)
        granted = [(name, p) for name, _ in relations for p in WRITE_PRIVILEGES
                   if conn.execute("SELECT has_table_privilege(%s, %s)", (sql.Identifier(name).as_string(conn), p)
                                   ).fetchone()[0]]
        granted += [(s, "CREATE") for s in schemas
                    if conn.execute("SELECT has_schema_privilege(%s, 'CREATE')", (s,)).fetchone()[0]]
        granted += [(database, "CREATE")] if conn.execute(
            "SELECT has_database_privilege(current_database(), 'CREATE')").fetchone()[0] else []
        for name, kind in relations:
            t = sql.Identifier(name)
            # Granting what one does not hold only warns ("no privileges were granted"): the ACLs are compared below.
            attempt(conn, sql.SQL("GRANT ALL ON {} TO PUBLIC").format(t), must_refuse=False)
            if kind in ("v", "m"):  # a view refuses writes before privileges are even checked; the above covers it
                if kind == "m":
                    attempt(conn, sql.SQL("REFRESH MATERIALIZED VIEW {}").format(t))
                continue
            column = conn.execute("SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum = 1",
                                  (t.as_string(conn),)).fetchone()[0]
            c = sql.Identifier(column)
            for template in ("INSERT INTO {t} DEFAULT VALUES", "UPDATE {t} SET {c} = {c}", "DELETE FROM {t}",
                             "TRUNCATE {t}", "ALTER TABLE {t} ADD COLUMN sneaky int", "DROP TABLE {t}",
                             "CREATE INDEX ON {t} ({c})", "COMMENT ON TABLE {t} IS 'mine'",
                             "ALTER TABLE {t} OWNER TO kis_analyst",
                             ("CREATE TRIGGER sneaky BEFORE INSERT ON {t} FOR EACH ROW EXECUTE FUNCTION "
                              "investor_flows_count_revision()")):
                attempt(conn, sql.SQL(template).format(t=t, c=c))
        for schema in schemas:
            s = sql.Identifier(schema)
            attempt(conn, sql.SQL("CREATE TABLE {}.sneaky (x int)").format(s))
            attempt(conn, sql.SQL("CREATE VIEW {}.sneaky AS SELECT 1").format(s))
            attempt(conn, sql.SQL("CREATE FUNCTION {}.sneaky() RETURNS int LANGUAGE sql AS 'SELECT 1'").format(s))
        trusted = conn.execute("SELECT name FROM pg_available_extension_versions WHERE trusted AND installed = false "
                               "ORDER BY name LIMIT 1").fetchone()
        for statement in ("CREATE SCHEMA sneaky", "SET ROLE kis_writer", "SET ROLE postgres",
                          "SET SESSION AUTHORIZATION postgres", "CREATE ROLE sneaky",
                          f"GRANT {WRITER_ROLE} TO {ANALYST_ROLE}", "COPY minute_bars (symbol) FROM PROGRAM 'true'",
                          "SELECT rolpassword FROM pg_authid", "SELECT pg_read_file('postgresql.conf')",
                          *([f'CREATE EXTENSION "{trusted[0]}"'] if trusted else [])):
            attempt(conn, statement)
        # The platform's own functions run with the caller's rights: calling them must change nothing.
        for (function,) in conn.execute("SELECT p.oid::regproc::text FROM pg_proc p WHERE p.pronamespace = "
                                        "'public'::regnamespace AND p.pronargs = p.pronargdefaults + 0 * p.pronargs "
                                        "AND p.prorettype <> 'trigger'::regtype AND p.prokind = 'f'").fetchall():
            attempt(conn, f"SELECT {function}()", must_refuse=False)
        attempt(conn, "SELECT sync_instrument_history(current_date)", must_refuse=False)
        with conn.cursor() as cur:  # COPY FROM STDIN goes through the copy protocol
            tried.append("COPY minute_bars FROM STDIN")
            try:
                with conn.transaction(), cur.copy("COPY minute_bars (symbol) FROM STDIN") as copy:
                    copy.write_row(["000000"])
                allowed.append("COPY minute_bars FROM STDIN")
            except REFUSED:
                pass
        definer = conn.execute("SELECT count(*) FROM pg_proc WHERE prosecdef AND pronamespace = "
                               "'public'::regnamespace").fetchone()[0]
    after = _snapshot(admin)
    report("analyst writes", f"privileges {', '.join(WRITE_PRIVILEGES)} checked on {len(relations)} relations, "
                             f"CREATE on {len(schemas)} schemas and the database: granted {granted}; then tried "
                             f"{len(tried)} writes/DDL/escalations/function calls with the read-only default off: "
                             f"allowed {allowed}; SECURITY DEFINER functions: {definer}")
    assert not granted, f"the analyst holds: {granted}"
    assert not allowed, f"the analyst was allowed: {allowed[:10]}"
    assert definer == 0, "a SECURITY DEFINER function would run with its owner's rights for the analyst"
    assert after == before, "the database changed under the analyst's attempts"


def test_analyst_cannot_read_or_infer_landing_zone_payloads(analyst: tuple[str, str]) -> None:
    """Neither directly, nor by whole-row references, filters, COPY, a view, or the planner's statistics."""
    dsn, _ = analyst
    tried = [
        "SELECT params FROM raw_responses", "SELECT body FROM raw_responses", "SELECT * FROM raw_responses",
        "SELECT r FROM raw_responses r", "SELECT to_jsonb(r) FROM raw_responses r",
        "SELECT id FROM raw_responses WHERE body LIKE '%landed%'", "SELECT id FROM raw_responses ORDER BY params",
        "SELECT count(*) FROM raw_responses WHERE params ? 'fid_input_iscd'",
        "COPY raw_responses TO STDOUT", "COPY (SELECT body FROM raw_responses) TO STDOUT",
        ("INSERT INTO raw_responses (fetched_at, source, path, params, status, body) "
         "VALUES (now(), 'KIS', '/x', '{}', 200, 'forged')"),
        "UPDATE raw_responses SET body = 'changed'", "UPDATE raw_responses SET params = '{}'",
    ]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SET default_transaction_read_only = off")
        for statement in tried:
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                if statement.startswith("COPY"):
                    with conn.cursor() as cur, cur.copy(statement) as copy:
                        list(copy)
                else:
                    conn.execute(statement)
        stats = [r[0] for r in conn.execute("SELECT attname FROM pg_stats WHERE tablename = 'raw_responses'")]
        exposed = conn.execute("SELECT view_schema || '.' || view_name || ' -> ' || column_name FROM "
                               "information_schema.view_column_usage WHERE table_name = 'raw_responses' "
                               "AND column_name = ANY(%s)", (list(PAYLOAD),)).fetchall()
        privileges = {c: conn.execute("SELECT has_column_privilege('raw_responses', %s, 'SELECT')", (c,)).fetchone()[0]
                      for c in (*PAYLOAD, *RAW_RESPONSES_PUBLIC_COLUMNS)}
    report("landing zone", f"{len(tried)} reads/writes of raw_responses params/body refused; column statistics "
                           f"visible to the analyst: {sorted(stats)}; views exposing payload columns: {exposed}")
    assert not set(stats) & set(PAYLOAD), "pg_stats would leak the most common bodies/parameters"
    assert not exposed
    assert privileges == {**{c: False for c in PAYLOAD}, **{c: True for c in RAW_RESPONSES_PUBLIC_COLUMNS}}


def test_role_passwords_never_reach_the_server_log(pg_server: PgServer, market_db: str) -> None:
    """`ensure_roles` sends PostgreSQL a SCRAM verifier, not the password: with `log_statement = all` (or an
    error in the statement) the server would otherwise write the password to its log in clear text."""
    if pg_server.embedded is None:
        pytest.skip("needs the embedded test server, whose log this test reads")
    log = pg_server.embedded.log_file
    start = log.stat().st_size if log.exists() else 0
    analyst_pw, writer_pw = f"clear-analyst-{uuid.uuid4().hex}", f"clear-writer-{uuid.uuid4().hex}"
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute("SET log_statement = 'all'")
        conn.execute("SELECT 'kis-security-log-marker'")
        ensure_roles(conn, conn.execute("SELECT current_database()").fetchone()[0], analyst_pw, writer_pw)
        stored = conn.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (ANALYST_ROLE,)).fetchone()[0]
    with psycopg.connect(role_dsn(market_db, ANALYST_ROLE, analyst_pw)) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (ANALYST_ROLE,)
    written = log.read_bytes()[start:].decode(errors="replace")
    assert "kis-security-log-marker" in written, "statement logging did not reach the server log"
    report("server log", f"log_statement=all while setting both role passwords: {len(written):,} bytes of server log "
                         f"searched; stored verifier is {stored.split('$', 1)[0]}")
    leaked = [role for role, pw in ((ANALYST_ROLE, analyst_pw), (WRITER_ROLE, writer_pw)) if pw in written]
    assert not leaked, f"the password of {leaked} is in the server log"
    assert stored.startswith("SCRAM-SHA-256$")
