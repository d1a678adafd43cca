"""Search every surface for secrets: text, files, every column of every table of a database.

A secret is looked for as written and in the encodings it could take on its way somewhere (URL-encoded, JSON
string, hex as PostgreSQL prints bytea, base64 at each of the three byte alignments), and long secrets also by
24-character fragments so that a truncated copy ("appsecret=SECRETCANARY3f9…") is found too. Reports name the
secret by its label and never print its value.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

FRAGMENT = 24  # long secrets are also searched for by fragments of this length
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")


@dataclass(frozen=True)
class Secret:
    """A value that must not appear anywhere but where it is kept. `fragments_of` (default: the value) is the
    random part whose fragments are searched too (a JWT's header is the same for every token, its signature not)."""

    label: str
    value: str
    fragments_of: str | None = None

    def needles(self) -> dict[bytes, str]:
        """Byte strings to look for, each with the name of the encoding it stands for."""
        raw = self.value.encode()
        found: dict[bytes, str] = {raw: "as written", raw.hex().encode(): "hex (bytea)"}
        for name, text in (("URL-encoded", quote(self.value, safe="")), ("JSON string", json.dumps(self.value)[1:-1])):
            found.setdefault(text.encode(), name)
        for offset in range(3):
            chunk = raw[offset:]
            chunk = chunk[: len(chunk) // 3 * 3]
            if len(chunk) >= 12:
                encoded = base64.b64encode(chunk)
                found.setdefault(encoded, f"base64 (offset {offset})")
                found.setdefault(encoded.replace(b"+", b"-").replace(b"/", b"_"), f"base64url (offset {offset})")
        source = (self.fragments_of or self.value).encode()
        if len(source) >= 2 * FRAGMENT:
            for start in range(0, len(source) - FRAGMENT + 1, FRAGMENT):
                found.setdefault(source[start: start + FRAGMENT], f"fragment at {start}")
        return found


@dataclass(frozen=True)
class Hit:
    secret: str  # label
    encoding: str
    where: str

    def __str__(self) -> str:
        return f"{self.secret} ({self.encoding}) in {self.where}"


@dataclass
class Sweep:
    """Accumulates what was searched (for the report) and what was found (for the assertion)."""

    secrets: list[Secret]
    hits: list[Hit] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._needles = [(needle, s.label, enc) for s in self.secrets for needle, enc in s.needles().items()]

    def search(self, data: bytes | str, where: str) -> list[Hit]:
        """Search one blob; compressed blobs (zlib, gzip) are searched inflated as well."""
        blob = data.encode() if isinstance(data, str) else bytes(data)
        self.counts["bytes"] += len(blob)
        found = [Hit(label, enc, where) for needle, label, enc in self._needles if needle in blob]
        for inflate in (zlib.decompress, gzip.decompress):
            try:
                inflated = inflate(blob)
            except Exception:  # noqa: BLE001 - not compressed with this codec
                continue
            found += [Hit(label, enc, f"{where} (inflated)") for needle, label, enc in self._needles
                      if needle in inflated]
        seen = {(h.secret, h.where) for h in self.hits}
        self.hits += [h for h in found if (h.secret, h.where) not in seen]
        return found

    def text(self, surface: str, data: bytes | str, where: str = "") -> None:
        self.counts[surface] += 1
        self.search(data, f"{surface}{': ' + where if where else ''}")

    def files(self, root: Path, skip: set[Path] = frozenset()) -> None:  # type: ignore[assignment]
        """Every regular file under `root` except `skip` (the designated secret files)."""
        for path in sorted(Path(root).rglob("*")):
            if path in skip or not path.is_file() or path.is_symlink():
                continue
            try:
                data = path.read_bytes()
            except OSError as exc:
                self.skipped.append(f"{path} ({exc.strerror})")
                continue
            self.counts["files"] += 1
            self.search(data, f"file {path.relative_to(root)}")

    def database(self, dsn: str, label: str) -> None:
        """Every row of every table, partition and materialized view outside the system schemas, all columns as
        text; bytea columns also inflated (Dagster stores snapshots zlib-compressed)."""
        with psycopg.connect(dsn, autocommit=True) as conn:
            relations = conn.execute(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname <> ALL(%s) AND n.nspname NOT LIKE 'pg\\_toast%%' "
                "AND n.nspname NOT LIKE 'pg\\_temp%%' ORDER BY 1, 2", (list(SYSTEM_SCHEMAS),)).fetchall()
            for schema, table in relations:
                ident = sql.Identifier(schema, table)
                columns = conn.execute(
                    "SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
                    "WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                    (ident.as_string(conn),)).fetchall()
                self.counts[f"{label} tables"] += 1
                self.counts[f"{label} columns"] += len(columns)
                where = f"{label}.{schema}.{table}"
                data = bytearray()
                with conn.cursor() as cur, cur.copy(
                        sql.SQL("COPY (SELECT * FROM {}) TO STDOUT").format(ident)) as copy:
                    for chunk in copy:
                        data += chunk
                self.counts[f"{label} rows"] += data.count(b"\n")
                self.search(bytes(data), where)
                for name, kind in columns:
                    if kind != "bytea":
                        continue
                    cur = conn.execute(sql.SQL("SELECT {} FROM {} WHERE {} IS NOT NULL").format(
                        sql.Identifier(name), ident, sql.Identifier(name)))
                    for (value,) in cur:
                        self.counts[f"{label} bytea values"] += 1
                        self.search(bytes(value), f"{where}.{name}")

    def summary(self) -> str:
        parts = [f"{k}={v:,}" for k, v in sorted(self.counts.items())]
        labels = ", ".join(s.label for s in self.secrets)
        text = f"searched {'; '.join(parts)} for [{labels}] ({len(self._needles)} encodings/fragments)"
        if self.skipped:
            text += f"; unreadable: {len(self.skipped)}"
        return text

    def assert_clean(self) -> None:
        assert not self.hits, "secrets found: " + "; ".join(map(str, self.hits[:20]))


def report(test: str, line: str) -> None:
    """One line saying what a test tried; shown by `pytest -rA` (or -s)."""
    print(f"[security] {test}: {line}", flush=True)


def mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777
