"""Backtest export against a real PostgreSQL: files match their manifest, rows match the database,
the market filter is point-in-time, and simulated data is flagged."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import psycopg
import pyarrow.parquet as pq
import pytest

from kis_platform.export import ExportError, Manifest, export

SEED = """
INSERT INTO instrument_history (isin, valid_from, valid_to, symbol, name, market, change_reason, source) VALUES
  ('KR7005930003', '2020-01-02', NULL,         '005930', '삼성전자', 'KOSPI',  'FIRST_SEEN', 'KRX'),
  ('KR7247540008', '2020-01-02', '2026-01-07', '247540', '에코프로비엠', 'KOSDAQ', 'FIRST_SEEN', 'KRX'),
  ('KR7247540008', '2026-01-07', NULL,         '247540', '에코프로비엠', 'KOSPI',  'MARKET_MOVE', 'KRX'),
  ('KR7091990002', '2020-01-02', '2026-01-06', '091990', '셀트리온헬스케어', 'KOSDAQ', 'FIRST_SEEN', 'KRX');
INSERT INTO daily_bars (symbol, trade_date, source, adjusted, open, high, low, close, volume, turnover_krw, fetched_at)
SELECT s, d, src, adj, 1000 + i, 1100 + i, 900 + i, 1050 + i, 10 * i, NULL, '2026-01-09 16:00+09'
FROM (VALUES ('005930'), ('247540'), ('091990')) sym(s),
     generate_series(DATE '2026-01-02', DATE '2026-01-09', INTERVAL '1 day') g(d),
     (VALUES ('KRX', false), ('SIM_KIS', false), ('SIM_KIS', true)) v(src, adj),
     LATERAL (SELECT extract(day FROM g.d)::int AS i) x
WHERE extract(isodow FROM g.d) < 6;
INSERT INTO investor_flows (symbol, trade_date, source, fetched_at, foreign_net_krw, pension_fund_net_qty)
VALUES ('005930', '2026-01-05', 'KRX', '2026-01-05 18:10+09', -123456789, 42),
       ('247540', '2026-01-05', 'KRX', '2026-01-05 18:10+09', 5, NULL);
INSERT INTO data_quality_issues (asset, partition_key, rule, severity, symbol, trade_date, details)
VALUES ('daily_bars', '2026-01-05', 'ohlc_order', 'WARN', '005930', '2026-01-05', '{"note": "a, \\"quoted\\"\\nvalue"}');
"""


@pytest.fixture
def seeded(market_db: str) -> str:
    with psycopg.connect(market_db, autocommit=True) as conn:
        conn.execute(SEED)
    return market_db


def _db_rows(dsn: str, query: str) -> list[tuple]:
    with psycopg.connect(dsn) as conn:
        conn.execute("SET TIME ZONE 'Asia/Seoul'")
        return [tuple(r) for r in conn.execute(query).fetchall()]


def _file_rows(path: Path) -> list[tuple]:
    table = pq.read_table(path)
    return [tuple(r.values()) for r in table.to_pylist()]


def test_files_match_manifest_and_rows_match_database(seeded: str, tmp_path: Path) -> None:
    seen: list[tuple[str, int, bool]] = []
    manifest = export(seeded, market="ALL", index_codes=["KOSPI"], date_from="2026-01-02", date_to="2026-01-09",
                      datasets=["daily_bars", "instruments", "investor_flows", "index_daily", "quality_issues"],
                      output_path=tmp_path / "out", progress=lambda *a: seen.append(a))
    out = tmp_path / "out"
    on_disk = json.loads((out / "manifest.json").read_text())
    assert [f["name"] for f in on_disk["files"]] == [
        "daily_bars.parquet", "instruments.parquet", "investor_flows.parquet", "quality_issues.parquet"]
    for entry in on_disk["files"]:
        assert hashlib.sha256((out / entry["name"]).read_bytes()).hexdigest() == entry["sha256"]
        assert pq.read_metadata(out / entry["name"]).num_rows == entry["rows"]
    assert on_disk["skipped"] == [{"dataset": "index_daily", "reason": "not present in this database"}]
    assert on_disk["range"] == {"date_from": "2026-01-02", "date_to": "2026-01-09"}
    assert ("daily_bars", 54, True) in seen

    daily = _db_rows(seeded, "SELECT * FROM daily_bars ORDER BY trade_date, symbol, source, adjusted")
    assert len(daily) == 54 and _file_rows(out / "daily_bars.parquet") == daily
    flows = _db_rows(seeded, "SELECT * FROM investor_flows ORDER BY trade_date, symbol, source, is_provisional")
    assert _file_rows(out / "investor_flows.parquet") == flows
    issue = _file_rows(out / "quality_issues.parquet")[0]
    assert json.loads(issue[7]) == {"note": 'a, "quoted"\nvalue'}
    assert pq.read_schema(out / "daily_bars.parquet").field("fetched_at").type.tz == "Asia/Seoul"
    assert Manifest.read(out).verify(out) == []


def test_tampered_file_is_reported(seeded: str, tmp_path: Path) -> None:
    export(seeded, date_from="2026-01-02", date_to="2026-01-09", datasets=["daily_bars"], output_path=tmp_path)
    path = tmp_path / "daily_bars.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))
    assert Manifest.read(tmp_path).verify(tmp_path) == ["daily_bars.parquet"]


def test_market_filter_is_point_in_time(seeded: str, tmp_path: Path) -> None:
    export(seeded, market="KOSDAQ", date_from="2026-01-02", date_to="2026-01-09",
           datasets=["daily_bars", "instruments"], output_path=tmp_path)
    rows = pq.read_table(tmp_path / "daily_bars.parquet").to_pylist()
    days = {(r["symbol"], r["trade_date"]) for r in rows}
    # 247540 moved to KOSPI on 01-07; 091990 stopped being listed on 01-06
    assert {d for s, d in days if s == "247540"} == {dt.date(2026, 1, d) for d in (2, 5, 6)}
    assert {d for s, d in days if s == "091990"} == {dt.date(2026, 1, d) for d in (2, 5)}
    assert "005930" not in {s for s, _ in days}
    periods = pq.read_table(tmp_path / "instruments.parquet").to_pylist()
    assert sorted((p["symbol"], p["market"]) for p in periods) == [("091990", "KOSDAQ"), ("247540", "KOSDAQ")]


def test_simulated_data_is_flagged(seeded: str, tmp_path: Path) -> None:
    with_sim = export(seeded, date_from="2026-01-02", date_to="2026-01-09", datasets=["daily_bars"],
                      output_path=tmp_path / "a")
    manifest = json.loads((tmp_path / "a" / "manifest.json").read_text())
    assert with_sim.contains_simulated_data and manifest["contains_simulated_data"] is True
    assert "SIMULATED" in manifest["warning"] and manifest["sources"] == ["KRX", "SIM_KIS"]
    real = export(seeded, date_from="2026-01-02", date_to="2026-01-09", datasets=["investor_flows"],
                  output_path=tmp_path / "b")
    assert not real.contains_simulated_data
    assert "warning" not in json.loads((tmp_path / "b" / "manifest.json").read_text())


def test_csv_format_and_refusals(seeded: str, tmp_path: Path) -> None:
    manifest = export(seeded, date_from="2026-01-05", date_to="2026-01-05", datasets=["daily_bars"],
                      output_path=tmp_path, fmt="csv")
    assert manifest.files[0].name == "daily_bars.csv" and manifest.files[0].rows == 9
    with pytest.raises(ExportError, match="already holds an export"):
        export(seeded, date_from="2026-01-05", date_to="2026-01-05", output_path=tmp_path)
    with pytest.raises(ExportError, match="date_from 2026-01-09 is after date_to"):
        export(seeded, date_from="2026-01-09", date_to="2026-01-05", output_path=tmp_path / "x")
    with pytest.raises(ExportError, match="unknown data set"):
        export(seeded, date_from="2026-01-05", date_to="2026-01-05", datasets=["ticks"], output_path=tmp_path / "y")
