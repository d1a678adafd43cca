"""Backtest export: a date range of market data as one Parquet (or CSV) file per data set plus `manifest.json`.

    from kis_platform.export import export
    manifest = export(dsn, market="KOSDAQ", index_codes=["KOSPI", "KOSDAQ"], date_from="2026-01-02",
                      date_to="2026-01-10", datasets=["daily_bars", "instruments"], output_path="exports/q1")

Files appear under their final names only when complete, and `manifest.json` is written last: a folder with a
manifest is a finished export whose files can be checked against their sha256 (`Manifest.verify`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import psycopg

from kis_platform.export.datasets import DATASETS, DEFAULT_DATASETS, MARKETS, Params, resolve
from kis_platform.export.manifest import MANIFEST_NAME, ExportedFile, Manifest, platform_version, sha256_of
from kis_platform.export.stream import stream_to_file

__all__ = ["DATASETS", "DEFAULT_DATASETS", "ExportError", "Manifest", "Progress", "export"]

FORMATS = {"parquet": ".parquet", "csv": ".csv"}
# progress(dataset, rows written so far, finished)
Progress = Callable[[str, int, bool], None]


class ExportError(ValueError):
    """The export request cannot be carried out; the message says what to change."""


def _date(value: str | dt.date, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise ExportError(f"{name}={value!r} is not a date; expected YYYY-MM-DD") from None


def _params(market: str, index_codes: Sequence[str], date_from: str | dt.date, date_to: str | dt.date) -> Params:
    market = (market or "ALL").upper()
    if market not in MARKETS:
        raise ExportError(f"market={market!r} is not valid; expected one of {', '.join(MARKETS)}")
    lo, hi = _date(date_from, "date_from"), _date(date_to, "date_to")
    if lo > hi:
        raise ExportError(f"date_from {lo} is after date_to {hi}; swap them")
    return Params(market, tuple(c.strip().upper() for c in index_codes if c.strip()), lo, hi)


def _prepare(output_path: str | Path, overwrite: bool) -> Path:
    folder = Path(output_path).expanduser().resolve()
    if (folder / MANIFEST_NAME).exists() and not overwrite:
        raise ExportError(f"{folder} already holds an export (manifest.json); choose another output path or overwrite")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"cannot create {folder} ({exc.strerror}); choose a writable output path") from None
    (folder / MANIFEST_NAME).unlink(missing_ok=True)
    return folder


def export(dsn: str, *, market: str = "ALL", index_codes: Sequence[str] = (), date_from: str | dt.date,
           date_to: str | dt.date, datasets: Sequence[str] = DEFAULT_DATASETS, output_path: str | Path,
           fmt: str = "parquet", progress: Progress | None = None, overwrite: bool = False) -> Manifest:
    """Export `datasets` for KST trading days [date_from, date_to] of `market` (ALL, KOSPI, KOSDAQ, KONEX)."""
    if fmt not in FORMATS:
        raise ExportError(f"format {fmt!r} is not supported; use one of {', '.join(FORMATS)}")
    params = _params(market, index_codes, date_from, date_to)
    try:
        chosen = resolve(datasets)
    except ValueError as exc:
        raise ExportError(str(exc)) from None
    folder = _prepare(output_path, overwrite)
    manifest = Manifest(
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        platform_version=platform_version(),
        parameters={"market": params.market, "index_codes": list(params.index_codes),
                    "date_from": params.date_from.isoformat(), "date_to": params.date_to.isoformat(),
                    "datasets": [d.name for d in chosen], "format": fmt})
    # One repeatable-read snapshot: every file of the export sees the database at the same instant.
    with psycopg.connect(dsn) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        for dataset in chosen:
            query = dataset.build(conn, params)
            if query is None:
                manifest.skipped.append({"dataset": dataset.name, "reason": "not present in this database"})
                continue
            name = dataset.name + FORMATS[fmt]
            partial = folder / (name + ".partial")
            started = time.perf_counter()
            report = (lambda rows, n=dataset.name: progress(n, rows, False)) if progress else None
            result = stream_to_file(conn, query, partial, fmt, report)
            partial.replace(folder / name)
            manifest.files.append(ExportedFile(
                dataset=dataset.name, name=name, rows=result.rows, bytes=(folder / name).stat().st_size,
                sha256=sha256_of(folder / name), columns=result.columns, sources=sorted(result.sources),
                seconds=round(time.perf_counter() - started, 3)))
            if progress:
                progress(dataset.name, result.rows, True)
    manifest.write(folder)
    return manifest
