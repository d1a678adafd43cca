"""Values that come from sources or users (symbols, expiries, underlyings, metrics, check metadata, export
parameters, database names and passwords from configuration) never become SQL: each hostile value is stored
literally, or refused with an error that says what is wrong; afterwards every table is still there with the rows
it had, and no side effect of the payloads (a dropped table, a file written by COPY … TO PROGRAM) happened.

No `from __future__ import annotations`: this module defines Dagster assets."""

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pandas as pd
import psycopg
import pyarrow.parquet as pq
import pytest
from psycopg import sql

from kis_platform import query
from kis_platform.export import ExportError, export
from kis_platform.quality.completeness import compute_completeness
from kis_platform.quality.issues import record_issue_rows
from kis_platform.quality.mirror import mirror_check_failures
from kis_platform.quality.spikes import stale_runs
from kis_platform.sources.raw import RawResponse
from kis_platform.storage.admin import role_dsn
from kis_platform.storage.database import create_database_if_missing
from kis_platform.storage.pool import close_pools
from kis_platform.storage.roles import ANALYST_ROLE, ensure_roles
from kis_platform.storage.writer import MarketWriter, WriteError
from kis_platform_tests.conftest import PgServer
from kis_platform_tests.security.sweep import report
from kis_platform_tests.storage.factories import KST, day_window, minute_bars

PWNED = Path(f"/tmp/kis-security-pwned-{uuid.uuid4().hex}")
HOSTILE = [
    "005930'; DROP TABLE minute_bars; --",
    '"x"; DROP TABLE daily_bars; --',
    "x\\'; DROP TABLE raw_responses; --",
    "') OR ('1'='1",
    "$$; DROP TABLE instruments; $$",
    "*/ DROP TABLE option_matrices; /*",
    f"'; COPY minute_bars TO PROGRAM 'touch {PWNED}'; --",
    "%s %(x)s {} {0} ?",
    "삼성전자'); DELETE FROM minute_bars; --",
    "\\x41\\\\\\'\t\n\r",
    "A" * 10_000 + "'; DROP TABLE minute_bars; --",
]
D1 = dt.date(2026, 11, 20)


def _state(dsn: str) -> dict[str, int]:
    """Every relation of the database with its row count."""
    with psycopg.connect(dsn) as conn:
        names = [r[0] for r in conn.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace "
                                            "AND relkind IN ('r', 'p', 'v', 'm') ORDER BY 1")]
        return {n: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(n))).fetchone()[0]
                for n in names}


@pytest.fixture
def seeded(market_db: str) -> Iterator[str]:
    """A migrated database with a few real rows the payloads would like to destroy."""
    writer = MarketWriter(market_db)
    writer.replace_window("minute_bars", minute_bars(D1, ["005930", "000660"], minutes=5), "bar_start",
                          *day_window(D1))
    yield market_db
    for conn in query._connections.values():
        conn.close()
    query._connections.clear()
    close_pools()


def _unharmed(dsn: str, before: dict[str, int], changed: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    after = _state(dsn)
    assert set(after) == set(before), f"relations appeared or vanished: {set(after) ^ set(before)}"
    moved = {k: (before[k], after[k]) for k in before if k not in changed and before[k] != after[k]}
    assert not moved, f"row counts changed: {moved}"
    assert not PWNED.exists(), f"a payload ran a program: {PWNED} exists"


def test_free_text_from_sources_is_stored_literally(seeded: str) -> None:
    """Landing zone (path, TR id, parameters, body), quality issues (asset, partition, rule, symbol, details) and
    the completeness ledger (data set and symbol as keys, and as the writer's window filter)."""
    before = _state(seeded)
    writer = MarketWriter(seeded)
    landed = [RawResponse(source="SIM_KIS", tr_id=h[:40], path=f"/uapi/{h}", params={h: h, "symbol": h},
                          status=200, body=h) for h in HOSTILE]
    assert writer.write_raw_responses(landed) == len(HOSTILE)
    record_issue_rows(seeded, [{"asset": h, "partition_key": h, "rule": h, "severity": "ERROR", "symbol": h,
                                "trade_date": D1, "details": {"symbol": h, h: [h]}, "run_id": h[:36]}
                               for h in HOSTILE])
    ledger = pd.DataFrame({"dataset": HOSTILE, "trade_date": D1, "symbol": HOSTILE, "expected_rows": 1,
                           "present_rows": 0, "reason": "MISSING", "details": [{"why": h} for h in HOSTILE]})
    assert writer.upsert("completeness", ledger, ["dataset", "trade_date", "symbol"]) == len(HOSTILE)
    # The same values as a window filter: only the hostile data set's line is replaced.
    one = ledger.iloc[:1].assign(present_rows=1, reason="COMPLETE")
    writer.replace_window("completeness", one, "trade_date", D1, D1 + dt.timedelta(days=1),
                          {"dataset": HOSTILE[0], "symbol": [HOSTILE[0]]})
    with psycopg.connect(seeded) as conn:
        bodies = conn.execute("SELECT path, tr_id, params, body FROM raw_responses ORDER BY id").fetchall()
        issues = conn.execute("SELECT asset, partition_key, rule, symbol, details FROM data_quality_issues "
                              "ORDER BY id").fetchall()
        lines = dict(conn.execute("SELECT dataset, present_rows FROM completeness").fetchall())
    # Compared regardless of order: the writer does not promise to keep a batch's row order.
    assert sorted(bodies, key=lambda r: r[3]) == sorted(
        [(f"/uapi/{h}", h[:40], {h: h, "symbol": h}, h) for h in HOSTILE], key=lambda r: r[3])
    assert sorted(issues, key=lambda r: r[0]) == sorted(
        [(h, h, h, h, {"symbol": h, h: [h]}) for h in HOSTILE], key=lambda r: r[0])
    assert lines == {h: int(h == HOSTILE[0]) for h in HOSTILE}
    _unharmed(seeded, before, changed={"raw_responses", "data_quality_issues", "completeness"})
    report("free text", f"{len(HOSTILE)} hostile strings (quotes, comment markers, $$, backslashes, placeholders, "
                        f"COPY TO PROGRAM, Hangul, 10 kB) stored and read back literally in raw_responses, "
                        f"data_quality_issues and completeness (also as a replace_window filter); tables unharmed")


def test_hostile_symbols_and_expiries_are_refused_by_the_schema(seeded: str) -> None:
    """Symbols, expiries and underlyings are constrained columns: a hostile one is refused, naming the rule,
    and the write (a single transaction) leaves the table as it was."""
    before = _state(seeded)
    writer = MarketWriter(seeded)
    refused = []
    for h in HOSTILE:
        bars = minute_bars(D1, ["005930"], minutes=2, start="11:00").assign(symbol=h)
        with pytest.raises((psycopg.errors.CheckViolation, WriteError)) as info:
            writer.upsert("minute_bars", bars, ["symbol", "bar_start"])
        assert "symbol" in str(info.value), str(info.value)[:300]
        matrix = pd.DataFrame({"timestamp": [pd.Timestamp("2026-11-20 10:05", tz=KST)], "underlying_symbol": [h],
                               "metric_type": ["iv"], "source": ["SIM_KIS"],
                               "fetched_at": [pd.Timestamp("2026-11-20 10:05:30", tz=KST)]})
        with pytest.raises((psycopg.errors.CheckViolation, WriteError)) as info:
            writer.upsert("option_matrices", matrix, ["timestamp", "underlying_symbol", "metric_type"])
        assert "underlying_symbol" in str(info.value), str(info.value)[:300]
        with pytest.raises((psycopg.errors.CheckViolation, WriteError)) as info:
            writer.upsert("option_matrices", matrix.assign(underlying_symbol="202612_KOSPI200", metric_type=h),
                          ["timestamp", "underlying_symbol", "metric_type"])
        assert "metric_type" in str(info.value), str(info.value)[:300]
        refused.append(type(info.value).__name__)
    _unharmed(seeded, before)
    report("constrained identifiers", f"{len(HOSTILE)} hostile symbols, underlyings and metrics refused "
                                      f"({sorted(set(refused))}) with the column named; tables unharmed")


def test_writer_refuses_hostile_table_and_column_names(seeded: str) -> None:
    before = _state(seeded)
    writer = MarketWriter(seeded)
    bars = minute_bars(D1, ["005930"], minutes=2)
    lo, hi = day_window(D1)
    tried = 0
    for h in HOSTILE:
        attempts = [
            lambda h=h: writer.replace_window(h, bars, "bar_start", lo, hi),
            lambda h=h: writer.upsert(h, bars, ["symbol", "bar_start"]),
            lambda h=h: writer.replace_window("minute_bars", bars, h, lo, hi),
            lambda h=h: writer.replace_window("minute_bars", bars, "bar_start", lo, hi, {h: "005930"}),
            lambda h=h: writer.upsert("minute_bars", bars, [h]),
            lambda h=h: writer.upsert("minute_bars", bars.rename(columns={"volume": h}), ["symbol", "bar_start"]),
        ]
        for attempt in attempts:
            with pytest.raises(WriteError) as info:
                attempt()
            assert any(w in str(info.value) for w in ("does not exist", "do not exist", "not a primary key")), \
                str(info.value)[:300]
            tried += 1
    _unharmed(seeded, before)
    report("writer names", f"{tried} writes with a hostile table, time column, filter column, key or DataFrame "
                           "column: each refused with WriteError naming it; tables unharmed")


def test_query_helpers_take_hostile_values_as_values(seeded: str) -> None:
    before = _state(seeded)
    with psycopg.connect(seeded, autocommit=True) as conn:
        ensure_roles(conn, conn.execute("SELECT current_database()").fetchone()[0], "a-sec-pw", "w-sec-pw")
    dsn = role_dsn(seeded, ANALYST_ROLE, "a-sec-pw")
    for h in HOSTILE:
        got = query.bars([h, "005930"], D1, D1, dsn=dsn)
        assert set(got["symbol"]) == {"005930"} and len(got) == 5
        assert query.bars(h, D1, D1, interval="5m", dsn=dsn).empty
        assert query.bars(h, D1, D1, interval="1d", dsn=dsn).empty
        assert query.option_matrix(h, h, D1, D1, dsn=dsn).empty
        assert query.investor_flows([h], D1, D1, include_provisional=True, dsn=dsn).empty
        with pytest.raises(ValueError, match="interval"):
            query.bars("005930", D1, D1, interval=h, dsn=dsn)
        with pytest.raises(ValueError):
            query.listed_on(h, dsn=dsn)
        with pytest.raises(ValueError):
            query.bars("005930", h, D1, dsn=dsn)
    _unharmed(seeded, before)
    report("query helpers", f"bars (1m/5m/1d), option_matrix, investor_flows with {len(HOSTILE)} hostile symbols, "
                            "underlyings and metrics: matched nothing; hostile interval/dates refused with "
                            "ValueError; tables unharmed")


def test_export_takes_hostile_parameters_as_values(seeded: str, tmp_path: Path) -> None:
    with psycopg.connect(seeded, autocommit=True) as conn:  # the index table the daily domain will write
        conn.execute("CREATE TABLE index_daily (trade_date date, index_code text, close numeric)")
        with conn.cursor().copy("COPY index_daily FROM STDIN") as copy:
            for code in ["KOSPI", *(h.strip().upper() for h in HOSTILE)]:
                copy.write_row([D1, code, 1.0])
    before = _state(seeded)
    for bad in ({"market": HOSTILE[0]}, {"datasets": [HOSTILE[1]]}, {"date_from": HOSTILE[2]},
                {"date_to": HOSTILE[3]}, {"fmt": HOSTILE[4]}):
        kwargs = {"date_from": D1, "date_to": D1, "output_path": tmp_path / "refused", **bad}
        with pytest.raises(ExportError) as info:
            export(seeded, **kwargs)
        assert "expected" in str(info.value) or "choose" in str(info.value) or "use" in str(info.value)
    manifest = export(seeded, index_codes=[HOSTILE[0], HOSTILE[6], "KOSPI"], date_from=D1, date_to=D1,
                      datasets=["index_daily", "minute_bars"], output_path=tmp_path / "ok")
    codes = sorted(pq.read_table(tmp_path / "ok" / "index_daily.parquet").column("index_code").to_pylist())
    assert codes == sorted([HOSTILE[0].upper(), HOSTILE[6].strip().upper(), "KOSPI"])
    assert {f.dataset: f.rows for f in manifest.files}["minute_bars"] == 10
    _unharmed(seeded, before)
    report("export", "hostile market, data set, dates and format refused with ExportError; hostile index codes "
                     f"selected exactly their own rows ({len(codes)} of {len(HOSTILE) + 1}); tables unharmed")


def test_quality_functions_refuse_hostile_names(seeded: str) -> None:
    before = _state(seeded)
    for h in HOSTILE:
        with pytest.raises(KeyError):
            compute_completeness(seeded, h, D1)
    # A table name is an identifier, never SQL: a subquery in its place is a table that does not exist.
    smuggled = ("(SELECT 'INJECTED' AS symbol, now() AS bar_start, 1 AS open, 1 AS high, 1 AS low, 1 AS close, "
                "1 AS volume FROM raw_responses) AS t")
    with pytest.raises(psycopg.errors.UndefinedTable):
        stale_runs(seeded, "2026-11-20", table=smuggled)
    for table in HOSTILE:
        # UndefinedTable, or refused before sending: psycopg will not bind parameters to a query whose quoted
        # identifier holds placeholder-like text ("%s %(x)s").
        with pytest.raises(psycopg.ProgrammingError):
            stale_runs(seeded, "2026-11-20", table=table)
    assert stale_runs(seeded, "2026-11-20")[0] == 10  # the real table still reads
    _unharmed(seeded, before)
    report("quality", f"compute_completeness with {len(HOSTILE)} hostile data sets: KeyError; stale_runs with a "
                      "smuggled subquery as table: UndefinedTable (was: ran it); with the hostile strings: "
                      "UndefinedTable or refused by psycopg; tables unharmed")


@dg.asset
def hostile_asset() -> None:
    return None


@dg.asset_check(asset=hostile_asset, name="hostile_check")
def hostile_check() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR, description=HOSTILE[0],
                               metadata={"symbol": HOSTILE[1], "expiry": HOSTILE[2], "note": HOSTILE[7]})


def test_mirrored_check_metadata_is_stored_literally(seeded: str) -> None:
    before = _state(seeded)
    with dg.instance_for_test() as instance:
        result = dg.materialize([hostile_asset, hostile_check], instance=instance, raise_on_error=False)
        assert result.success
        mirrored = mirror_check_failures(instance, seeded)
    assert mirrored.mirrored == 1 and set(mirrored.runs_tagged.values()) == {"FAILED"}
    with psycopg.connect(seeded) as conn:
        [(details,)] = conn.execute("SELECT details FROM data_quality_issues WHERE rule = 'hostile_check'").fetchall()
    assert (details["description"], details["symbol"], details["expiry"], details["note"]) == (
        HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[7])
    _unharmed(seeded, before, changed={"data_quality_issues"})
    report("quality mirror", "a failed check whose description and metadata are hostile strings was mirrored "
                             "into data_quality_issues literally; tables unharmed")


def test_names_and_passwords_from_configuration(pg_server: PgServer, market_db: str) -> None:
    """A database name (DATABASE_URL's path, `<name>_dagster`) and role passwords (files under the home) are
    quoted as an identifier and a literal."""
    name = 'kis"; DROP DATABASE postgres; --'
    admin = pg_server.admin_dsn()
    try:
        assert create_database_if_missing(admin, name)
        assert not create_database_if_missing(admin, name)
        with psycopg.connect(admin) as conn:
            assert conn.execute("SELECT count(*) FROM pg_database WHERE datname IN (%s, 'postgres')",
                                (name,)).fetchone()[0] == 2
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    password = "pw'; ALTER ROLE kis_analyst SUPERUSER; --\\ @:/?#%&é"
    with psycopg.connect(market_db, autocommit=True) as conn:
        database = conn.execute("SELECT current_database()").fetchone()[0]
        with pytest.raises(ValueError, match="expected"):
            ensure_roles(conn, HOSTILE[0], password, password)
        ensure_roles(conn, database, password, password + "w")
        superuser = conn.execute("SELECT rolsuper FROM pg_roles WHERE rolname = 'kis_analyst'").fetchone()[0]
    with psycopg.connect(role_dsn(market_db, ANALYST_ROLE, password)) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (ANALYST_ROLE,)
    assert superuser is False
    report("configuration names", "database name with quote/semicolon/comment created and dropped as that exact "
                                  "name; role password with quote, semicolon, backslash and URL delimiters set "
                                  "literally and usable through role_dsn; mismatched database name refused")
