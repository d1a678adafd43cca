"""The bench's table (one row per scenario) and its figures (the last-line JSON)."""

from __future__ import annotations

from kis_platform.bench.faults.tally import Tally

COLUMNS = [("scenario", 38), ("family", 8), ("data set", 16), ("parts", 5), ("expected", 8), ("present", 7),
           ("missing", 7), ("dup/wrong", 9), ("partial", 7), ("unmat.", 6), ("ok", 3), ("repaired by", 44)]


def table(tallies: list[Tally]) -> str:
    head = " ".join(f"{name:<{w}}" for name, w in COLUMNS)
    lines = [head, "-" * len(head)]
    for t in tallies:
        values = [t.scenario, t.family, t.dataset, t.partitions, t.rows_expected, t.rows_present, t.rows_missing,
                  t.rows_duplicated, t.partial_partitions, t.unmaterialized, "yes" if t.ok else "NO",
                  t.repaired_by or "—"]
        lines.append(" ".join(f"{str(v)[:w]:<{w}}" for v, (_, w) in zip(values, COLUMNS, strict=True)))
    lines.append("")
    for t in tallies:
        lines.append(f"* {t.scenario}: repaired by {t.repaired_by or '—'}")
        lines.append(f"    seen: {t.visible}")
        if t.broken:
            lines.append(f"    NOT MET: {t.broken}")
        lines += [f"    {n}" for n in t.notes[:8]]
    return "\n".join(lines)


def figures(tallies: list[Tally]) -> dict:
    def total(name: str) -> int:
        return sum(getattr(t, name) for t in tallies)

    return {
        "scenarios": len(tallies), "scenarios_ok": sum(t.ok for t in tallies),
        "rows_expected": total("rows_expected"), "rows_present": total("rows_present"),
        "rows_missing": total("rows_missing"), "rows_duplicated": total("rows_duplicated"),
        "partial_partitions": total("partial_partitions"), "unmaterialized_partitions": total("unmaterialized"),
        "not_met": [t.scenario for t in tallies if not t.ok],
        "per_scenario": {t.scenario: {"ok": t.ok, "repaired_by": t.repaired_by, "missing": t.rows_missing,
                                      "duplicated": t.rows_duplicated, "partial": t.partial_partitions}
                         for t in tallies},
    }
