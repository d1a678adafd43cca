"""`kis-platform`: start the platform, run the simulator, manage the database, run benchmarks.

Configuration errors end with one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
import warnings
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")

from kis_platform.settings import SettingsError, get_settings  # noqa: E402

EXIT_CONFIG = 2


def _expected_errors() -> tuple[type[BaseException], ...]:
    from kis_platform.launcher import LaunchError
    from kis_platform.storage.database import DatabaseError
    from kis_platform.storage.embedded import EmbeddedPostgresError
    from kis_platform.storage.migrations import MigrationError

    return SettingsError, DatabaseError, EmbeddedPostgresError, MigrationError, LaunchError


def friendly_errors(func: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the platform's expected errors into one actionable line and a non-zero exit."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except _expected_errors() as exc:
            click.echo(f"kis-platform: error: {exc}", err=True)
            sys.exit(EXIT_CONFIG)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """kis_platform: Korean market data (KIS, KRX) into PostgreSQL, orchestrated by Dagster."""


@main.command()
@click.option("--no-simulator", is_flag=True, help="Do not start the simulator even when KIS_ENV=sim.")
@friendly_errors
def up(no_simulator: bool) -> None:
    """Start the database, apply migrations, start the simulator (sim mode), the Dagster webserver and daemon."""
    from kis_platform.launcher import run_platform

    sys.exit(run_platform(get_settings(), with_simulator=not no_simulator))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.pass_context
@friendly_errors
def simulator(ctx: click.Context) -> None:
    """Serve the simulated KIS and KRX APIs (options: kis-platform simulator --help)."""
    from kis_platform.simulator.cli import main as simulator_main

    sys.exit(simulator_main(list(ctx.args)))


@main.group(invoke_without_command=True)
@click.pass_context
@friendly_errors
def db(ctx: click.Context) -> None:
    """Show where the databases are and how analysts connect."""
    if ctx.invoked_subcommand is not None:
        return
    from kis_platform.storage.admin import describe

    click.echo(describe(get_settings()))


@db.command("upgrade")
@friendly_errors
def db_upgrade() -> None:
    """Apply pending migrations (starts the embedded server for the duration if it is not running)."""
    from kis_platform.storage.admin import upgrade_database

    click.echo(upgrade_database(get_settings()))


@db.command("status")
@friendly_errors
def db_status() -> None:
    """List applied and pending migrations and the storage path (TimescaleDB or plain PostgreSQL)."""
    from kis_platform.storage.admin import migration_status

    click.echo(migration_status(get_settings()))


def bench_names() -> list[str]:
    import kis_platform.bench as bench_pkg

    return sorted(m.name for m in pkgutil.iter_modules(bench_pkg.__path__) if not m.name.startswith("_"))


@main.command(context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("name")
@click.pass_context
@friendly_errors
def bench(ctx: click.Context, name: str) -> None:
    """Run benchmark NAME; the report ends with one JSON line of figures."""
    if name not in bench_names():
        raise click.BadParameter(f"unknown benchmark {name!r}; available: {', '.join(bench_names())}")
    module = importlib.import_module(f"kis_platform.bench.{name}")
    figures = module.run(list(ctx.args))
    click.echo(json.dumps(figures, sort_keys=True, default=str))


from kis_platform.cli_ops import register  # noqa: E402

register(main)

if __name__ == "__main__":
    main()
