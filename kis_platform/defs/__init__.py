"""Domain folders (master/, daily/, intraday/, options/, flows/, quality/, export/, ops/), each exposing `defs`."""

from __future__ import annotations

import importlib

import dagster as dg

# Order is irrelevant to Dagster; listed in the order data flows.
DOMAINS = ("resources", "master", "daily", "flows", "intraday", "options", "quality", "export", "ops")


def domains() -> list[dg.Definitions]:
    """The Definitions of every domain package present."""
    found = []
    for name in DOMAINS:
        try:
            module = importlib.import_module(f"kis_platform.defs.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"kis_platform.defs.{name}":
                raise
            continue
        if hasattr(module, "defs"):  # a domain package still being built has no defs yet
            found.append(module.defs)
    return found or [dg.Definitions()]
