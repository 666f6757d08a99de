"""Reads a dbt project from disk: dbt_project.yml, its model paths, *.sql models, schema YAML.

The project sits at the repository root, or in the folder `dbt_project:` of pipeline.yaml names.
Models are `<model-path>/**/*.sql` (model name = file stem); every `*.yml`/`*.yaml` under the
model paths is a schema file (`sources:`, `models:`); `<macro-path>/**/*.sql` (default `macros`)
hold the project's macros, callable from models. See tools.dbt for what is taken from them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.errors import RepoError, ToolError
from core.yaml_source import YamlSourceError, parse_yaml
from tools.dbt.project import DbtPipeline, dbt_pipeline

PROJECT_FILE = "dbt_project.yml"
_log = logging.getLogger(__name__)


def is_dbt_project(folder: Path) -> bool:
    """Whether `folder` holds a dbt_project.yml."""
    return (folder / PROJECT_FILE).is_file()


def _yaml(path: Path) -> Any:
    try:
        return parse_yaml(path.read_text(encoding="utf-8"), path).data
    except OSError as error:
        raise RepoError(f"cannot read {str(path)!r}: {error}") from error
    except YamlSourceError as error:
        raise RepoError(f"{str(path)!r} is not valid YAML at line {error.line}: {error}") from error


def _model_paths(folder: Path, project: dict[str, Any]) -> list[Path]:
    declared = project.get("model-paths") or project.get("source-paths") or ["models"]
    if not isinstance(declared, list) or not all(isinstance(p, str) for p in declared):
        raise RepoError(f"{str(folder / PROJECT_FILE)!r}: model-paths must be a list of folders")
    return [folder / p for p in declared if (folder / p).is_dir()]


def _macro_files(folder: Path, project: dict[str, Any]) -> list[Path]:
    declared = project.get("macro-paths") or ["macros"]
    if not isinstance(declared, list) or not all(isinstance(p, str) for p in declared):
        raise RepoError(f"{str(folder / PROJECT_FILE)!r}: macro-paths must be a list of folders")
    return [
        f for p in declared if (folder / p).is_dir() for f in sorted((folder / p).rglob("*.sql"))
    ]


def read_dbt_project(root: Path, folder: Path, dialect: str = "duckdb") -> DbtPipeline:
    """The pipeline of the dbt project in `folder`; file paths are relative to `root`."""
    project = _yaml(folder / PROJECT_FILE)
    if not isinstance(project, dict):
        raise RepoError(f"{str(folder / PROJECT_FILE)!r} must be a mapping")
    models: dict[str, tuple[str, str]] = {}
    documents: list[tuple[str, dict[str, Any]]] = []
    texts: dict[str, str] = {}
    for base in _model_paths(folder, project):
        for file in sorted(base.rglob("*")):
            relative = file.relative_to(root).as_posix()
            if file.suffix == ".sql":
                if file.stem in models:
                    raise RepoError(
                        f"dbt model {file.stem!r} is defined twice: {models[file.stem][0]!r} "
                        f"and {relative!r}"
                    )
                models[file.stem] = (relative, file.read_text(encoding="utf-8"))
            elif file.suffix in (".yml", ".yaml") and isinstance(data := _yaml(file), dict):
                documents.append((relative, data))
                texts[relative] = file.read_text(encoding="utf-8")
    if not models:
        raise RepoError(f"no dbt models (*.sql) under the model paths of {str(folder)!r}")
    macros = [f.read_text(encoding="utf-8") for f in _macro_files(folder, project)]
    try:
        found = dbt_pipeline(models, project, documents, dialect, texts, macros)
    except ToolError as error:
        raise RepoError(str(error)) from error
    for reason in found.unchecked:
        _log.warning("dbt test not checked by suture: %s", reason)
    return found
