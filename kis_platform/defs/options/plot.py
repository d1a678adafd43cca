"""The IV smile picture shown on each option_matrices materialization (a small PNG embedded in Markdown)."""

from __future__ import annotations

import base64
import io

import numpy as np
import pandas as pd

WIDTH_IN, HEIGHT_IN, DPI = 6.0, 3.5, 100  # 600 x 350 px
WINGS = 15  # strikes shown either side of ATM: the far wings of a 100-strike board would flatten the smile


def _near_atm(chain: pd.DataFrame, atm: float | None) -> pd.DataFrame:
    if atm is None:
        return chain
    ks = sorted(chain["strike"].astype(float).unique())
    i = ks.index(float(atm)) if float(atm) in ks else len(ks) // 2
    return chain[chain["strike"].astype(float).between(ks[max(i - WINGS, 0)], ks[min(i + WINGS, len(ks) - 1)])]


def smile_png(chains: dict[str, pd.DataFrame], atm: dict[str, float | None]) -> bytes:
    """PNG of implied volatility (%) against strike, calls solid and puts dashed, one colour per expiry, with each
    expiry's ATM strike marked by a dotted line (±15 strikes around ATM). `chains`: expiry label -> rows with
    option_type, strike, iv."""
    # Imported here, not at module load: every run process imports the code location, and matplotlib alone
    # costs over a second of each minute run's start-up.
    import matplotlib

    matplotlib.use("Agg")  # no display on servers or in run processes
    import matplotlib.pyplot as plt
    from PIL import Image

    fig, ax = plt.subplots(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI)
    try:
        for n, (label, chain) in enumerate(chains.items()):
            colour = f"C{n}"
            for side, style in (("C", "-"), ("P", "--")):
                rows = _near_atm(chain, atm.get(label))
                rows = rows[rows["option_type"] == side].sort_values("strike")
                ax.plot(rows["strike"].astype(float), rows["iv"].astype(float), style, color=colour, linewidth=1.2,
                        label=f"{label} {'calls' if side == 'C' else 'puts'}")
            if atm.get(label) is not None:
                ax.axvline(float(atm[label]), color=colour, linestyle=":", linewidth=1)
                ax.annotate(f"ATM {atm[label]:g}", (float(atm[label]), 1), xycoords=("data", "axes fraction"),
                            xytext=(3, -12 - 10 * n), textcoords="offset points", fontsize=7, color=colour)
        ax.set_xlabel("strike (index points)", fontsize=8)
        ax.set_ylabel("implied volatility (%)", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
        fig.tight_layout()
        buf = io.BytesIO()
        fig.canvas.draw()
        # An adaptive 64-colour palette keeps the PNG near 20 kB: metadata is stored in Dagster's event log.
        image = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[:, :, :3])
        image.quantize(colors=64).save(buf, format="PNG", optimize=True)
        return buf.getvalue()
    finally:
        plt.close(fig)


def smile_markdown(chains: dict[str, pd.DataFrame], atm: dict[str, float | None], title: str) -> str:
    """Markdown with the smile PNG inlined (data URI), for `dg.MetadataValue.md`."""
    encoded = base64.b64encode(smile_png(chains, atm)).decode("ascii")
    return f"**{title}**\n\n![IV smile](data:image/png;base64,{encoded})"
