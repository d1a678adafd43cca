"""The numpy binary COPY encoder against PostgreSQL's own parsing of the same rows sent as text COPY."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import psycopg
import pytest
from psycopg import sql

from kis_platform.storage import copy_binary
from kis_platform.storage.frames import prepare_frame, python_value, table_info

KST = "Asia/Seoul"
COLUMNS = """id int4 NOT NULL, small int2, big int8, f8 float8, f4 float4, flag bool, day date, ts timestamptz,
             code text, note varchar(400), doc jsonb, raw json"""


def _frame(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    nulls = rng.random(n) < 0.2
    words = np.array(["", "a", "KIS", "SIM_KIS", "한글 텍스트", "x" * 300], dtype=object)
    text = words[rng.integers(0, len(words), n)]
    df = pd.DataFrame({
        "id": np.arange(n, dtype=np.int64),
        "small": pd.array(rng.integers(-30_000, 30_000, n), dtype="Int64"),
        "big": rng.integers(-(2**62), 2**62, n),
        "f8": rng.normal(size=n), "f4": rng.normal(size=n).astype(np.float32).astype(np.float64),
        "flag": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        "day": [dt.date(1999, 12, 30) + dt.timedelta(days=int(d)) for d in rng.integers(0, 20_000, n)],
        "ts": pd.to_datetime(rng.integers(0, 2**40, n) * 1_000, unit="us", utc=True).tz_convert(KST),
        "code": text, "note": text[::-1].copy(),
        "doc": [{"k": int(i), "s": str(w)} for i, w in zip(range(n), text)], "raw": ['{"a": 1}'] * n,
    })
    for column in ("small", "f8", "flag", "code", "doc"):
        df.loc[nulls & (rng.random(n) < 0.5), column] = None
    df.loc[nulls, "ts"] = pd.NaT
    df.loc[nulls, "day"] = None
    return df


@pytest.mark.parametrize(("rows", "chunk_rows", "seed"), [(1, 8192, 0), (500, 7, 1), (3000, 64, 2), (2000, 100_000, 3)])
def test_binary_copy_stores_what_text_copy_stores(market_db: str, rows: int, chunk_rows: int, seed: int) -> None:
    df = _frame(rows, seed)
    with psycopg.connect(market_db) as conn:
        for table in ("enc_binary", "enc_text"):
            conn.execute(sql.SQL("CREATE TEMP TABLE {} ({})").format(sql.Identifier(table), sql.SQL(COLUMNS)))
        prepared = prepare_frame(table_info(conn, "enc_binary"), df)
        cols = sql.SQL(", ").join(map(sql.Identifier, df.columns))
        with conn.cursor() as cur:
            with cur.copy(sql.SQL("COPY enc_binary ({}) FROM STDIN (FORMAT BINARY)").format(cols)) as copy:
                for block in copy_binary.stream(prepared, rows, chunk_rows):
                    copy.write(block)
            with cur.copy(sql.SQL("COPY enc_text ({}) FROM STDIN").format(cols)) as copy:
                for i in range(rows):
                    copy.write_row([python_value(p, i) for p in prepared])
        query = "SELECT {} FROM {} ORDER BY id"
        binary = conn.execute(sql.SQL(query).format(cols, sql.Identifier("enc_binary"))).fetchall()
        text = conn.execute(sql.SQL(query).format(cols, sql.Identifier("enc_text"))).fetchall()
        # Rows keep their order (the landing zone's ids follow it).
        order = conn.execute("SELECT id FROM enc_binary").fetchall()
    assert len(binary) == rows
    assert binary == text
    assert [r[0] for r in order] == list(range(rows))
