"""Domain folders, each exposing `defs`: resources, master (calendar, stock master), daily, flows, intraday,
options, quality, export, ops."""

from __future__ import annotations

import dagster as dg


def domains() -> list[dg.Definitions]:
    """The Definitions of every domain, in the order data flows."""
    from kis_platform.defs import daily, export, flows, intraday, master, ops, options, quality, resources

    return [m.defs for m in (resources, master, daily, flows, intraday, options, quality, export, ops)]
