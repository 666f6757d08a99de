"""`generate` many scenarios of one seed and `write_suite` them with a manifest."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from evals.generator.compose import Generated, generate_one


def generate(root: Path, seed: int, count: int) -> Iterator[Generated]:
    """Scenarios 0 .. count-1 of `seed`, in order (the same every time)."""
    for index in range(count):
        yield generate_one(root, seed, index)


def write_suite(root: Path, seed: int, count: int, target: Path) -> dict[str, object]:
    """Write the scenarios as `<id>.yaml` below `target`, then `manifest.json`; return it."""
    target.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    for generated in generate(root, seed, count):
        path = target / f"{generated.scenario_id}.yaml"
        path.write_text(generated.text, encoding="utf-8")
        entries.append(
            {
                "id": generated.scenario_id,
                "file": path.name,
                "table": generated.table,
                "operators": list(generated.operators),
                "dialect": generated.dialect,
                "outcome": generated.outcome,
            }
        )
    manifest: dict[str, object] = {
        "seed": seed,
        "count": count,
        "tables": str(root),
        "outcomes": dict(Counter(str(e["outcome"]) for e in entries)),
        "operators": dict(Counter(op for e in entries for op in e["operators"])),
        "dialects": dict(Counter(str(e["dialect"]) for e in entries)),
        "scenarios": entries,
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False)
    (target / "manifest.json").write_text(text + "\n", encoding="utf-8")
    return manifest
