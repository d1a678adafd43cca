"""Operating the platform: backups and restore checks, Dagster instance hygiene, the status screen.

Plain Python, used by the Dagster jobs in `kis_platform/defs/ops/` and by `kis-platform backup | restore-check |
status`."""
