"""KOSPI200 option-chain snapshots (one per session minute) and the ATM-relative option matrices."""

import dagster as dg

from kis_platform.defs.options.assets import option_chain_snapshots, option_matrices

defs = dg.Definitions(assets=[option_chain_snapshots, option_matrices])
