"""Build each fix scenario's `expect.output` by replaying its reference fix over `events.after`.

A reference fix is `evals/reference_fixes/<scenario-id>.yaml`, holding the models that a
correct fix changes (`models: {name: sql}`, in the pipeline's dialect). It lives outside the
scenario folder, so the runner never shows it to the agents. Run
`python -m evals.build_expected` after editing a scenario or its fix; `--verify` only compares.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.contracts import Pipeline
from core.errors import ReplayError, ToolError
from core.yaml_source import YamlSourceError, parse_yaml
from evals.loader import LoadedScenario, LoadError, load_source, load_suite
from evals.rows import compare_outputs
from evals.scenario import Row, Scenario
from tools.sql.replay import run_models

EVALS = Path(__file__).parent
SCENARIOS = EVALS / "scenarios"
REFERENCE_FIXES = EVALS / "reference_fixes"


class ReferenceFix(BaseModel):
    """The models a correct fix changes, as they read after the fix."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    models: dict[str, str] = Field(min_length=1)


def load_reference_fix(path: Path) -> ReferenceFix:
    """Read one reference fix file; raise LoadError with its line."""
    try:
        source = parse_yaml(path.read_text(encoding="utf-8"), path)
        return ReferenceFix.model_validate(source.data)
    except OSError as error:
        raise LoadError(path, 1, f"cannot read the reference fix: {error}") from error
    except YamlSourceError as error:
        raise LoadError(path, error.line, str(error)) from error
    except ValidationError as error:
        loc = [p for p in error.errors()[0]["loc"] if isinstance(p, str | int)]
        raise LoadError(path, source.line_of(loc), error.errors()[0]["msg"]) from error


def reference_output(scenario: Scenario, fix: ReferenceFix) -> dict[str, list[Row]]:
    """Rows every model of the fixed pipeline produces from `events.after`."""
    unknown = sorted(set(fix.models) - set(scenario.pipeline.models))
    if unknown:
        raise ToolError(f"reference fix of {scenario.id!r} names unknown models {unknown}")
    fixed = Pipeline(
        dialect=scenario.pipeline.dialect, models={**scenario.pipeline.models, **fix.models}
    )
    contracts = {scenario.dataset: scenario.contract}
    outputs = run_models(fixed, {scenario.dataset: scenario.events.after}, contracts)
    return {model: outputs[model] for model in scenario.pipeline.models}


def _flow(value: Any) -> str:
    return str(yaml.safe_dump(value, default_flow_style=True, width=10**9, sort_keys=False)).strip()


def render_output(output: Mapping[str, Sequence[Row]], indent: int) -> list[str]:
    """The `output:` block as YAML lines, one flow-style row per line."""
    pad = " " * indent
    lines = [f"{pad}output:\n"]
    for model, rows in output.items():
        if not rows:
            lines.append(f"{pad}  {model}: []\n")
            continue
        lines.append(f"{pad}  {model}:\n")
        lines.extend(f"{pad}    - {_flow(dict(row))}\n" for row in rows)
    return lines


def _key_lines(node: yaml.MappingNode) -> dict[str, int]:
    return {k.value: k.start_mark.line for k, _ in node.value if isinstance(k, yaml.ScalarNode)}


def _trim(lines: list[str], start: int, end: int) -> int:
    """Leave blank and comment lines at the end of a block to whatever follows it."""
    while end > start and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return end


def write_output(loaded: LoadedScenario, output: Mapping[str, Sequence[Row]]) -> None:
    """Replace (or insert) `expect.output` in the scenario file, leaving every other line alone."""
    root = loaded.source.root
    assert isinstance(root, yaml.MappingNode), "a loaded scenario is a mapping"
    lines = loaded.path.read_text(encoding="utf-8").splitlines(keepends=True)
    top = _key_lines(root)
    expect = next(v for k, v in root.value if k.value == "expect")
    if not isinstance(expect, yaml.MappingNode) or expect.flow_style:
        raise LoadError(loaded.path, expect.start_mark.line + 1, "write expect as a block mapping")
    keys = _key_lines(expect)
    after_expect = [line for line in top.values() if line > top["expect"]]
    expect_end = _trim(lines, 0, min(after_expect, default=len(lines)))
    indent = expect.value[0][0].start_mark.column
    if "output" in keys:
        start = keys["output"]
        later = [line for line in keys.values() if line > start]
        end = _trim(lines, start, min(later, default=expect_end))
    else:
        start = keys.get("reject_patches", expect_end)
        end = start
    lines[start:end] = render_output(output, indent)
    loaded.path.write_text("".join(lines), encoding="utf-8")


def build(
    scenarios: Path = SCENARIOS, fixes: Path = REFERENCE_FIXES, verify: bool = False
) -> list[str]:
    """Build (or with `verify`, compare) every fix scenario's output; one sentence per problem."""
    suite = load_suite(scenarios)
    problems = [str(error) for error in suite.errors]
    for loaded in suite.loaded:
        scenario = loaded.scenario
        path = fixes / f"{scenario.id}.yaml"
        if scenario.expect.outcome != "fix":
            if path.exists():
                problems.append(f"{path}: {scenario.id!r} is not a fix scenario; delete its fix")
            continue
        try:
            output = reference_output(scenario, load_reference_fix(path))
        except (LoadError, ReplayError, ToolError) as error:
            problems.append(f"{loaded.path}: reference fix failed: {error}")
            continue
        if verify:
            for problem in compare_outputs(output, scenario.expect.output):
                problems.append(f"{loaded.path}: expect.output is stale: {problem}")
            continue
        write_output(loaded, output)
        rebuilt = load_source(loaded.path).scenario.expect.output
        problems.extend(f"{loaded.path}: {p}" for p in compare_outputs(output, rebuilt))
    return problems


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build expected outputs in place, or verify them with --verify."""
    parser = argparse.ArgumentParser(prog="python -m evals.build_expected", description=__doc__)
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS)
    parser.add_argument("--fixes", type=Path, default=REFERENCE_FIXES)
    parser.add_argument("--verify", action="store_true", help="compare only, write nothing")
    args = parser.parse_args(argv)
    problems = build(args.scenarios, args.fixes, verify=args.verify)
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
