"""Database roles: `kis_analyst` reads market data, `kis_writer` is what the platform writes with.

The analyst role can SELECT every table and view in the market database and nothing else: no writes, no DDL,
transactions read-only by default. From the landing zone (raw_responses) it sees which calls were made
(id, fetched_at, source, tr_id, path, status, body_bytes) but not the request parameters or response bodies,
which stay with the platform. Run `ensure_roles` after every migration: grants on tables created since the
last run are added, and the raw_responses restriction is re-applied.
"""

from __future__ import annotations

import psycopg
from psycopg import sql

ANALYST_ROLE = "kis_analyst"
WRITER_ROLE = "kis_writer"
# Landing-zone columns analysts may read (everything except params and body).
RAW_RESPONSES_PUBLIC_COLUMNS = ("id", "fetched_at", "source", "tr_id", "path", "status", "body_bytes")


def _ensure_login_role(conn: psycopg.Connection, role: str, password: str) -> None:
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    verb = "ALTER" if exists else "CREATE"
    # The server is sent a verifier hashed here (libpq, with the server's password_encryption), never the
    # password: a statement can end up in the server log (log_statement, or an error) and the log is plain text.
    # Utility statements take no bind parameters: the verifier goes in as a quoted literal.
    verifier = conn.pgconn.encrypt_password(password.encode(), role.encode()).decode()
    conn.execute(sql.SQL(verb + " ROLE {} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}").format(
        sql.Identifier(role), sql.Literal(verifier)))


def ensure_roles(admin_conn: psycopg.Connection, database: str, analyst_password: str, writer_password: str) -> None:
    """Create or update both roles and their grants in `database`. `admin_conn` must be connected to that
    database as a role that owns its tables (the embedded server's superuser, or the DATABASE_URL owner)."""
    current = admin_conn.execute("SELECT current_database()").fetchone()[0]
    if current != database:
        raise ValueError(f"ensure_roles: admin connection is on database {current!r}, expected {database!r}")
    analyst, writer, db = sql.Identifier(ANALYST_ROLE), sql.Identifier(WRITER_ROLE), sql.Identifier(database)
    with admin_conn.transaction():
        # Roles are cluster-wide; two databases on one server may run this at once.
        admin_conn.execute("SELECT pg_advisory_xact_lock(hashtext('kis_platform.ensure_roles'))")
        _ensure_login_role(admin_conn, ANALYST_ROLE, analyst_password)
        _ensure_login_role(admin_conn, WRITER_ROLE, writer_password)
        statements = [
            sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"),
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}, {}").format(db, analyst, writer),
            sql.SQL("GRANT TEMPORARY ON DATABASE {} TO {}").format(db, writer),
            sql.SQL("GRANT USAGE ON SCHEMA public TO {}, {}").format(analyst, writer),
            # Writer: rows only (no DDL); upserts stage through TEMP tables.
            sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA public TO {}").format(writer),
            sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(writer),
            # Analyst: read everything, then take the landing zone's payload columns back.
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(analyst),
            sql.SQL("REVOKE ALL ON raw_responses FROM {}").format(analyst),
            sql.SQL("GRANT SELECT ({}) ON raw_responses TO {}").format(
                sql.SQL(", ").join(map(sql.Identifier, RAW_RESPONSES_PUBLIC_COLUMNS)), analyst),
            sql.SQL("ALTER ROLE {} SET default_transaction_read_only = on").format(analyst),
        ]
        for statement in statements:
            admin_conn.execute(statement)
        # TimescaleDB copies a hypertable's grants to its chunks and a continuous aggregate's to its
        # materialization table, so nothing is granted on its internal schemas (that would expose the
        # landing zone's chunks to analysts).
