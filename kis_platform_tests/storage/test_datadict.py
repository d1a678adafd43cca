"""docs/data-dictionary.md is generated from the schema's comments and must match the migrations."""

from __future__ import annotations

from kis_platform.storage.datadict import DEFAULT_OUT, generate


def test_data_dictionary_is_current(market_db: str) -> None:
    text = generate(market_db)
    for name in ("minute_bars", "option_matrices", "investor_flows", "raw_responses", "instruments_as_of(d date)"):
        assert f"`{name}`" in text
    assert "| `close` | bigint | no | Last trade price in the minute, KRW (KIS stck_prpr). |" in text
    committed = DEFAULT_OUT.read_text(encoding="utf-8")
    assert committed == text, (
        "docs/data-dictionary.md is out of date with sql/: run `python -m kis_platform.storage.datadict --fresh`"
    )
