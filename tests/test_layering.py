"""Imports flow one way, folder by folder: suture -> evals -> agents -> guardrails -> tools -> core.

`prompts` sits beside `tools` (it renders prompt files; it needs only the core). Inside
`agents`, an agent never imports an adapter (`agents.edges`): only the composition root
(`agents.main`) wires adapters to agents. `bench` is the benchmarks' own code, on top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bench", "suture", "evals", "agents", "guardrails", "prompts", "tools", "core")

# layer -> the layers of ours it may import (its own layer always included)
ALLOWED: dict[str, tuple[str, ...]] = {
    "core": ("core",),
    "tools": ("tools", "core"),
    "prompts": ("prompts", "core"),
    "guardrails": ("guardrails", "tools", "core"),
    "agents": ("agents", "guardrails", "tools", "prompts", "core"),
    "evals": ("evals", "agents", "guardrails", "tools", "prompts", "core"),
    "suture": ("suture", "evals", "agents", "guardrails", "tools", "prompts", "core"),
    "bench": ("bench", "suture", "evals", "agents", "guardrails", "tools", "prompts", "core"),
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
    return [name for name in found if name.split(".")[0] in PACKAGES]


def _violations(root: Path = ROOT) -> list[str]:
    problems = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            module = _module_name(path) if root == ROOT else path.stem
            layer = module.split(".")[0] if root == ROOT else package
            for name in _imports(path):
                target = name.split(".")[0]
                if target not in ALLOWED[layer]:
                    problems.append(
                        f"{module} imports {name}: {layer}/ may import {ALLOWED[layer]}"
                    )
                agent = layer == "agents" and not module.startswith(("agents.edges", "agents.main"))
                if agent and name.startswith("agents.edges"):
                    problems.append(f"{module} imports {name}: only agents.main wires adapters")
    return problems


def test_every_package_has_a_layer() -> None:
    top = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists() and p.name != "tests"}
    assert top <= set(ALLOWED), f"give {sorted(top - set(ALLOWED))} a row in ALLOWED"


def test_imports_flow_one_way() -> None:
    assert _violations() == []


def test_the_table_has_no_circle() -> None:
    for layer, allowed in ALLOWED.items():
        for other in allowed:
            assert other == layer or layer not in ALLOWED[other], f"{layer} <-> {other}"


@pytest.mark.parametrize(
    ("package", "source", "expected"),
    [
        ("tools", "from agents.healer import handle\n", "tools/ may import"),
        ("core", "import tools.sql.replay\n", "core/ may import"),
        ("agents", "from agents.edges.kafka import KafkaBus\n", "only agents.main wires"),
        ("guardrails", "from evals.runner import run_suite\n", "guardrails/ may import"),
    ],
)
def test_the_check_sees_a_violation(
    tmp_path: Path, package: str, source: str, expected: str
) -> None:
    for name in ALLOWED:
        (tmp_path / name).mkdir()
    (tmp_path / package / "bad.py").write_text(source)
    [problem] = _violations(tmp_path)
    assert expected in problem
