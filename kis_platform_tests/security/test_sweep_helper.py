"""The sweep can fail: secrets planted in test-only places, in each encoding it claims to see, are found."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import zlib
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from psycopg.types.json import Jsonb

from kis_platform_tests.security.sweep import Secret, Sweep, report

KEY = Secret("planted app key", "PSPLANTED0123456789abcdefghijklmnopq")
SECRET = Secret("planted app secret", "PLANTEDSECRET" + hashlib.sha512(b"planted").hexdigest())
PASSWORD = Secret("planted password", "pw+with/odd=chars&;")  # short: no fragments, URL-unsafe characters
TOKEN_SIG = "c2lnbmF0dXJlLW9mLWEtcGxhbnRlZC10b2tlbi0xMjM0NTY3ODkwLWFiY2RlZmdoaWprbG1u"
TOKEN = Secret("planted token", "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ0b2tlbiJ9." + TOKEN_SIG, fragments_of=TOKEN_SIG)
ALL = [KEY, SECRET, PASSWORD, TOKEN]


def test_finds_each_encoding_in_text() -> None:
    tried = {  # how it was planted: (text, the encoding the sweep must name)
        "as written": (f"Authorization: Bearer {TOKEN.value}", "as written"),
        "URL-encoded": (f"postgresql://u:{quote(PASSWORD.value, safe='')}@h/db", "URL-encoded"),
        "in a JSON string": (json.dumps({"pw": PASSWORD.value + "\n"}), "as written"),
        "base64 at offset 1": (base64.b64encode(b"{" + KEY.value.encode() + b"}").decode(), "base64"),
        "base64url in a JWT payload": (base64.urlsafe_b64encode(json.dumps({"jti": KEY.value}).encode()).decode(),
                                       "base64"),
        "hex, as bytea prints": ("\\x" + SECRET.value.encode().hex(), "hex (bytea)"),
        "truncated to 60 characters": (f"appsecret={SECRET.value[:60]}...", "fragment at 0"),
        "as a token's signature alone": (f"sig={TOKEN_SIG}", "fragment at"),
    }
    for name, (text, encoding) in tried.items():
        sweep = Sweep(ALL)
        sweep.text("planted", text, name)
        assert any(h.encoding.startswith(encoding) for h in sweep.hits), \
            f"the sweep missed a secret planted {name}: {[str(h) for h in sweep.hits]}"
    report("sweep helper", f"found a secret planted {', '.join(tried)}")


def test_near_misses_are_not_hits() -> None:
    sweep = Sweep(ALL)
    sweep.text("clean", "PSPLANTED0123456789abcdefghijklmnopX " + "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ0b2tlbiJ9.other")
    sweep.text("clean", "<redacted> appkey=*** " + SECRET.value[:20])
    assert not sweep.hits, [str(h) for h in sweep.hits]
    sweep.assert_clean()


def test_finds_planted_files_and_skips_designated_ones(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "daemon.log").write_text(f"INFO token={TOKEN.value}\n")
    (tmp_path / "deep" / "er").mkdir(parents=True)
    (tmp_path / "deep" / "er" / "blob.gz").write_bytes(gzip.compress(f"x{SECRET.value}x".encode()))
    (tmp_path / "secret.key").write_text(KEY.value)
    (tmp_path / "clean.txt").write_text("nothing here")
    sweep = Sweep(ALL)
    sweep.files(tmp_path, skip={tmp_path / "secret.key"})
    where = {(h.secret, h.where) for h in sweep.hits}
    assert ("planted token", "file logs/daemon.log") in where
    assert ("planted app secret", "file deep/er/blob.gz (inflated)") in where
    assert not [h for h in sweep.hits if "secret.key" in h.where]
    assert sweep.counts["files"] == 3
    with pytest.raises(AssertionError) as failure:
        sweep.assert_clean()
    message = str(failure.value)
    assert "planted token" in message and TOKEN.value not in message and SECRET.value not in message


def test_finds_planted_rows_in_every_column_kind(empty_db: str) -> None:
    with psycopg.connect(empty_db, autocommit=True) as conn:
        conn.execute("CREATE SCHEMA hidden")
        conn.execute("CREATE TABLE public.t_text (id int, note text)")
        conn.execute("CREATE TABLE hidden.t_json (id int, doc jsonb)")
        conn.execute("CREATE TABLE public.t_blob (id int, body bytea)")
        conn.execute("CREATE TABLE public.t_clean (id int, note text)")
        conn.execute("INSERT INTO public.t_text VALUES (1, %s)", (f"failed: {KEY.value}",))
        conn.execute("INSERT INTO hidden.t_json VALUES (1, %s)", (Jsonb({"headers": {"appsecret": SECRET.value}}),))
        conn.execute("INSERT INTO public.t_blob VALUES (1, %s)", (zlib.compress(TOKEN.value.encode()),))
        conn.execute("INSERT INTO public.t_clean VALUES (1, 'nothing')")
    sweep = Sweep(ALL)
    sweep.database(empty_db, "planted")
    tables = {h.where.split(" ")[0] for h in sweep.hits}
    assert {"planted.public.t_text", "planted.hidden.t_json", "planted.public.t_blob.body"} <= tables, tables
    assert not [h for h in sweep.hits if "t_clean" in h.where]
    assert sweep.counts["planted tables"] == 4 and sweep.counts["planted rows"] == 4
    report("sweep helper", f"found secrets planted in text, jsonb (non-public schema) and zlib-compressed bytea "
                           f"columns: {sorted(tables)}")
