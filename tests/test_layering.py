"""Imports flow one way: core <- tools/guardrails/prompts <- agents <- edges <- shell."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("agents", "tools", "guardrails", "prompts", "evals", "suture")

# package prefix -> what it may import from this repository (by prefix)
ALLOWED: dict[str, tuple[str, ...]] = {
    "core": ("core",),
    "prompts": ("core", "prompts"),
    "tools": ("core", "tools"),
    "guardrails": ("core", "tools", "guardrails"),
    "agents.edges": ("agents", "tools", "guardrails", "prompts"),
    "agents": ("core", "agents", "tools", "guardrails", "prompts"),
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] in OURS]


def _rule_for(module: str) -> tuple[str, tuple[str, ...]] | None:
    for prefix in sorted(ALLOWED, key=len, reverse=True):
        if module == prefix or module.startswith(prefix + "."):
            return prefix, ALLOWED[prefix]
    return None


def _violations() -> list[str]:
    problems = []
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = _module_name(path)
            rule = _rule_for(module)
            if rule is None or module == "agents.main":
                continue
            prefix, allowed = rule
            for name in _imports(path):
                ok = any(name == a or name.startswith(a + ".") for a in allowed)
                if prefix == "agents" and name.startswith("agents.edges"):
                    ok = False
                if not ok:
                    problems.append(f"{module} imports {name} (layer {prefix!r} allows {allowed})")
    return problems


def test_imports_flow_one_way() -> None:
    assert _violations() == []


def test_layering_check_sees_a_violation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from agents.edges.kafka import KafkaBus\nimport tools.sql.replay\n")
    assert _imports(bad) == ["agents.edges.kafka", "tools.sql.replay"]
    assert _rule_for("core.models") == ("core", ("core",))
    assert _rule_for("agents.healer") is not None
