"""Load scenario files: one file, or every `*.yaml` below a directory, with file:line errors."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from core.errors import AssistantError
from core.yaml_source import YamlSource, YamlSourceError, parse_yaml
from evals.scenario import Scenario


class LoadError(AssistantError):
    """A scenario file that cannot be used, with the file and the 1-based line to fix."""

    def __init__(self, path: Path, line: int, message: str) -> None:
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


@dataclass(frozen=True)
class LoadedScenario:
    """A valid scenario and the parsed file it came from (to point errors at lines)."""

    scenario: Scenario
    source: YamlSource

    @property
    def path(self) -> Path:
        """The scenario's file."""
        return self.source.path


@dataclass(frozen=True)
class SuiteLoad:
    """Every scenario that loaded, and one error per file that did not."""

    scenarios: list[Scenario] = field(default_factory=list)
    errors: list[LoadError] = field(default_factory=list)
    loaded: list[LoadedScenario] = field(default_factory=list)


def _describe(error: ValidationError, source: YamlSource) -> LoadError:
    """The first pydantic error, placed at the line of the key it is about."""
    first = error.errors()[0]
    loc = [part for part in first["loc"] if isinstance(part, str | int)]
    message = first["msg"].removeprefix("Value error, ")
    # A model validator reports on its whole section; point at the key its message names.
    named = re.findall(r"'([^']+)'", message)
    keys = source.keys_at(loc)
    loc += [key for key in named if key in keys][:1]
    where = ".".join(str(part) for part in loc) or "scenario"
    more = error.error_count() - 1
    suffix = f" (and {more} more {'error' if more == 1 else 'errors'})" if more else ""
    return LoadError(source.path, source.line_of(loc), f"{where}: {message}{suffix}")


def load_source(path: Path) -> LoadedScenario:
    """Load and validate one scenario file; raise LoadError with its file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LoadError(path, 1, f"cannot read the file: {error}") from error
    try:
        source = parse_yaml(text, path)
    except YamlSourceError as error:
        raise LoadError(path, error.line, str(error)) from error
    if not isinstance(source.data, dict):
        raise LoadError(path, 1, "a scenario file is one YAML mapping with id, contract, ...")
    try:
        scenario = Scenario.model_validate(source.data)
    except ValidationError as error:
        raise _describe(error, source) from error
    return LoadedScenario(scenario=scenario, source=source)


def load_scenario(path: Path | str) -> Scenario:
    """Load and validate one scenario file; raise LoadError with its file and line."""
    return load_source(Path(path)).scenario


def scenario_files(root: Path) -> list[Path]:
    """Every `*.yaml` file below `root` (or `root` itself), in a stable order."""
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise LoadError(root, 1, "no such file or directory; pass a scenario file or folder")
    return sorted(p for p in root.rglob("*.yaml") if p.is_file())


def _selected(scenario: Scenario, tags: Iterable[str] | None) -> bool:
    wanted = set(tags or ())
    return not wanted or bool(wanted & set(scenario.tags))


def load_suite(root: Path | str, tags: Iterable[str] | None = None) -> SuiteLoad:
    """Load every scenario below `root` whose tags meet `tags`; broken files become errors."""
    tags = list(tags) if tags is not None else None
    result = SuiteLoad()
    first_file: dict[str, Path] = {}
    for path in scenario_files(Path(root)):
        try:
            loaded = load_source(path)
        except LoadError as error:
            result.errors.append(error)
            continue
        scenario = loaded.scenario
        if scenario.id in first_file:
            line = loaded.source.line_of(["id"])
            message = f"id {scenario.id!r} is already used by {first_file[scenario.id]}; rename it"
            result.errors.append(LoadError(path, line, message))
            continue
        first_file[scenario.id] = path
        if _selected(scenario, tags):
            result.scenarios.append(scenario)
            result.loaded.append(loaded)
    return result
