"""`manifest.json`: what an export folder holds, so a backtest can prove which data it ran on.

It records the request (market, index codes, date range, data sets, format), each file's name, row count,
size and sha256, when and by which platform version it was made, and which sources the rows came from.
Rows from the simulator (`source` SIM_KIS or SIM_KRX) are never real market data: the manifest then says so at the top
(`contains_simulated_data: true` and a warning), and per file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
SIM_WARNING = "SIMULATED DATA: rows whose source starts with SIM_ come from the kis_platform simulator, not from KIS or KRX."


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def platform_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kis_platform")
    except PackageNotFoundError:
        return "unknown"


@dataclass
class ExportedFile:
    dataset: str
    name: str
    rows: int
    bytes: int
    sha256: str
    columns: list[str]
    sources: list[str]
    seconds: float


@dataclass
class Manifest:
    created_at: str
    platform_version: str
    parameters: dict[str, Any]
    files: list[ExportedFile] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)
    format_version: int = 1

    @property
    def sources(self) -> list[str]:
        return sorted({s for f in self.files for s in f.sources})

    @property
    def contains_simulated_data(self) -> bool:
        return any(s.startswith("SIM") for s in self.sources)

    @property
    def total_rows(self) -> int:
        return sum(f.rows for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"format_version": self.format_version,
                                "contains_simulated_data": self.contains_simulated_data}
        if self.contains_simulated_data:
            data["warning"] = SIM_WARNING
        data.update(created_at=self.created_at, platform_version=self.platform_version,
                    range={"date_from": self.parameters["date_from"], "date_to": self.parameters["date_to"]},
                    parameters=self.parameters, sources=self.sources, total_rows=self.total_rows,
                    files=[asdict(f) for f in self.files], skipped=self.skipped)
        return data

    def write(self, folder: Path) -> Path:
        path = folder / MANIFEST_NAME
        tmp = path.with_suffix(".json.partial")
        tmp.write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n")
        tmp.replace(path)
        return path

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        data = json.loads((folder / MANIFEST_NAME).read_text())
        return cls(created_at=data["created_at"], platform_version=data["platform_version"],
                   parameters=data["parameters"], files=[ExportedFile(**f) for f in data["files"]],
                   skipped=data.get("skipped", []), format_version=data.get("format_version", 1))

    def verify(self, folder: Path) -> list[str]:
        """Files whose size or sha256 no longer match the manifest (empty when the export is intact)."""
        bad = []
        for f in self.files:
            path = folder / f.name
            if not path.exists() or path.stat().st_size != f.bytes or sha256_of(path) != f.sha256:
                bad.append(f.name)
        return bad
