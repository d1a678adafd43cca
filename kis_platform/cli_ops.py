"""Operations commands of `kis-platform`: export, status, backup, restore-check.

Wired into the main group by `register(main)`; each failure is one line on stderr and a non-zero exit.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

EXIT_FAILED = 1
EXIT_CONFIG = 2


def _fail(message: str, code: int = EXIT_CONFIG) -> None:
    click.echo(f"kis-platform: error: {message}", err=True)
    sys.exit(code)


def _market_dsn() -> str:
    """DSN of the market database, which must already be reachable (`kis-platform up`, or DATABASE_URL)."""
    from kis_platform.settings import SettingsError, get_settings
    from kis_platform.storage.database import DatabaseError, check_connection, market_dsn

    try:
        dsn = market_dsn(get_settings())
        check_connection(dsn, "the market database")
    except (SettingsError, DatabaseError) as exc:
        _fail(f"{exc}; start the platform with `kis-platform up` or set DATABASE_URL")
    except OSError:  # the embedded server was never initialised: no password file yet
        _fail("no market database yet; start the platform with `kis-platform up` or set DATABASE_URL")
    return dsn


def _backup_dir(value: str | None) -> Path:
    from kis_platform.settings import get_settings

    return Path(value).expanduser() if value else get_settings().home / "backups"


@click.command("export")
@click.option("--from", "date_from", required=True, help="First KST trading day, YYYY-MM-DD.")
@click.option("--to", "date_to", required=True, help="Last KST trading day, YYYY-MM-DD (included).")
@click.option("--market", default="ALL", show_default=True, help="ALL, KOSPI, KOSDAQ or KONEX (point in time).")
@click.option("--index", "index_codes", multiple=True, help="Index code for index_daily (repeatable).")
@click.option("--dataset", "datasets", multiple=True, help="Data set (repeatable); default: daily_bars, "
              "instruments, investor_flows, index_daily. Also: minute_bars, futures_minute_bars, quality_issues, completeness.")
@click.option("--output", "output_path", required=True, type=click.Path(file_okay=False), help="Folder to write.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--overwrite", is_flag=True, help="Replace an earlier export in the same folder.")
def export_cmd(date_from: str, date_to: str, market: str, index_codes: tuple[str, ...], datasets: tuple[str, ...],
               output_path: str, fmt: str, overwrite: bool) -> None:
    """Export a date range as one file per data set plus manifest.json (row counts, sha256, sources)."""
    from kis_platform.export import DEFAULT_DATASETS, ExportError, export

    def progress(dataset: str, rows: int, finished: bool) -> None:
        if finished:
            click.echo(f"  {dataset}: {rows:,} rows")

    try:
        manifest = export(_market_dsn(), market=market, index_codes=index_codes or ("KOSPI", "KOSDAQ"),
                          date_from=date_from, date_to=date_to, datasets=datasets or DEFAULT_DATASETS,
                          output_path=output_path, fmt=fmt, progress=progress, overwrite=overwrite)
    except ExportError as exc:
        _fail(str(exc))
    for skipped in manifest.skipped:
        click.echo(f"  {skipped['dataset']}: skipped ({skipped['reason']})")
    click.echo(f"wrote {manifest.total_rows:,} rows in {len(manifest.files)} file(s) to {Path(output_path).resolve()}")
    if manifest.contains_simulated_data:
        click.echo("WARNING: the export contains SIMULATED rows (source SIM_KIS / SIM_KRX), not real market data")


@click.command("status")
def status_cmd() -> None:
    """Per asset: last materialization and partition, age, completeness, last run status."""
    from kis_platform.ops.status import platform_status

    ok, text = platform_status()
    if not ok:
        _fail(text, EXIT_FAILED)
    click.echo(text)


@click.command("backup")
@click.option("--dir", "backup_dir", help="Backup folder (default: $KIS_PLATFORM_HOME/backups).")
@click.option("--keep-days", default=7, show_default=True, help="Remove dumps older than this (the newest stays).")
def backup_cmd(backup_dir: str | None, keep_days: int) -> None:
    """Dump the market database now (pg_dump, compressed) and prune old dumps."""
    from kis_platform.ops.backup import BackupError, backup

    try:
        result = backup(_market_dsn(), _backup_dir(backup_dir), keep_days)
    except BackupError as exc:
        _fail(str(exc), EXIT_FAILED)
    click.echo(f"backup {result.path} ({result.bytes / 1e6:.1f} MB, {sum(result.counts.values()):,} rows, "
               f"{result.seconds:.1f} s); removed {len(result.removed)} old dump(s)")


@click.command("restore-check")
@click.option("--dir", "backup_dir", help="Backup folder (default: $KIS_PLATFORM_HOME/backups).")
def restore_check_cmd(backup_dir: str | None) -> None:
    """Restore the newest dump into a scratch database, compare row counts per table, drop it."""
    from kis_platform.ops.backup import BackupError
    from kis_platform.ops.verify import verify_latest

    try:
        report = verify_latest(_market_dsn(), _backup_dir(backup_dir))
    except BackupError as exc:
        _fail(str(exc), EXIT_FAILED)
    click.echo("\n".join(report.lines()))
    if not report.passed:
        sys.exit(EXIT_FAILED)


def register(main: click.Group) -> None:
    """Add export, status, backup and restore-check to the `kis-platform` group."""
    for command in (export_cmd, status_cmd, backup_cmd, restore_check_cmd):
        main.add_command(command)
