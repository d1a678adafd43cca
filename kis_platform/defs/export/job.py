"""`backtest_export`: write a date range of market data to Parquet files plus a manifest, from the UI.

The run's log shows one line per data set as it streams (rows so far, rows per second); the run's final
output metadata lists every file with its rows and sha256, the sources present, and whether any rows are
simulated. Config left empty means: the last 30 calendar days, whole market, into
`$KIS_PLATFORM_HOME/exports/<market>_<from>_<to>_<run id>`.
"""

# No `from __future__ import annotations`: Dagster reads the op signature (context, Config class) at import time.
import datetime as dt
import time
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

from kis_platform.export import DEFAULT_DATASETS, Manifest, export


class ExportConfig(dg.Config):
    """What to export. Dates are KST trading days (YYYY-MM-DD), both ends included."""

    market: str = Field(default="ALL", description="ALL, KOSPI, KOSDAQ or KONEX (point-in-time membership)")
    index_codes: list[str] = Field(default=["KOSPI", "KOSDAQ"], description="Index codes for index_daily")
    date_from: str = Field(default="", description="First day, YYYY-MM-DD; empty = 30 days before date_to")
    date_to: str = Field(default="", description="Last day, YYYY-MM-DD; empty = today (KST)")
    datasets: list[str] = Field(default=list(DEFAULT_DATASETS),
                                description="daily_bars, instruments, minute_bars, investor_flows, index_daily, "
                                            "futures_minute_bars, quality_issues, completeness")
    output_path: str = Field(default="", description="Folder to write; empty = $KIS_PLATFORM_HOME/exports/…")
    format: str = Field(default="parquet", description="parquet or csv")


def _files_table(manifest: Manifest) -> str:
    lines = ["| file | rows | sources | sha256 |", "|---|---:|---|---|"]
    lines += [f"| {f.name} | {f.rows:,} | {', '.join(f.sources) or '-'} | `{f.sha256}` |" for f in manifest.files]
    lines += [f"| {s['dataset']} (skipped) | - | - | {s['reason']} |" for s in manifest.skipped]
    return "\n".join(lines)


@dg.op(description="Stream the requested data sets from PostgreSQL into files and write manifest.json.")
def export_backtest_data(context: dg.OpExecutionContext, config: ExportConfig) -> dg.Output[dict]:
    from kis_platform.settings import get_settings
    from kis_platform.storage.database import market_dsn

    settings = get_settings()
    to = dt.date.fromisoformat(config.date_to) if config.date_to else dt.datetime.now(ZoneInfo("Asia/Seoul")).date()
    frm = dt.date.fromisoformat(config.date_from) if config.date_from else to - dt.timedelta(days=30)
    out = config.output_path or str(
        settings.home / "exports" / f"{config.market.lower()}_{frm}_{to}_{context.run_id[:8]}")
    started, last_log = {}, {}

    def progress(dataset: str, rows: int, finished: bool) -> None:
        now = time.monotonic()
        started.setdefault(dataset, now)
        if finished or now - last_log.get(dataset, 0) > 2:
            last_log[dataset] = now
            rate = rows / max(now - started[dataset], 1e-6)
            context.log.info(f"{dataset}: {rows:,} rows {'written' if finished else 'so far'} ({rate:,.0f} rows/s)")

    context.log.info(f"exporting {', '.join(config.datasets)} for {config.market} {frm}..{to} into {out}")
    manifest = export(market_dsn(settings), market=config.market, index_codes=config.index_codes, date_from=frm,
                      date_to=to, datasets=config.datasets, output_path=out, fmt=config.format, progress=progress)
    if manifest.contains_simulated_data:
        context.log.warning("the export contains SIMULATED rows (source SIM_KIS / SIM_KRX); see manifest.json")
    return dg.Output(manifest.to_dict(), metadata={
        "output_path": dg.MetadataValue.path(out),
        "files": dg.MetadataValue.md(_files_table(manifest)),
        "total_rows": manifest.total_rows,
        "sources": ", ".join(manifest.sources) or "-",
        "contains_simulated_data": manifest.contains_simulated_data,
        "manifest": dg.MetadataValue.json(manifest.to_dict()),
    })


@dg.job(description="Backtest export: one Parquet file per data set plus manifest.json (edit the config in the Launchpad).",
        tags={"kis_platform/lane": "bulk"})
def backtest_export() -> None:
    export_backtest_data()
