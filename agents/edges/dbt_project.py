"""Reads a dbt project from disk: dbt_project.yml, its model paths, *.sql models, schema YAML.

The project sits at the repository root, or in the folder `dbt_project:` of pipeline.yaml names.
Models are `<model-path>/**/*.sql` (model name = file stem); every `*.yml`/`*.yaml` under the
model paths is a schema file (`sources:`, `models:`); `<macro-path>/**/*.sql` (default `macros`)
hold the project's macros, callable from models. Installed packages (`dbt deps` puts them in
`packages-install-path`, default `dbt_packages/`) are read the same way: their models for refs,
their macros by package name, their sources; never patched. Seeds are `<seed-path>/**/*.csv`
(default `seeds`). See tools.dbt for what is taken from them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from core.errors import RepoError, ToolError
from core.yaml_source import YamlSourceError, parse_yaml
from tools.dbt.project import DbtPackage, DbtPipeline, dbt_pipeline

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


def _paths(folder: Path, project: dict[str, Any], key: str, default: str) -> list[Path]:
    """The folders a `*-paths` key of dbt_project.yml names (that exist)."""
    declared = project.get(key) or (project.get("source-paths") if key == "model-paths" else None)
    declared = declared or [default]
    if not isinstance(declared, list) or not all(isinstance(p, str) for p in declared):
        raise RepoError(f"{str(folder / PROJECT_FILE)!r}: {key} must be a list of folders")
    return [folder / p for p in declared if (folder / p).is_dir()]


def _macro_files(folder: Path, project: dict[str, Any]) -> list[Path]:
    return [
        f
        for p in _paths(folder, project, "macro-paths", "macros")
        for f in sorted(p.rglob("*.sql"))
    ]


Files = tuple[dict[str, tuple[str, str]], list[tuple[str, dict[str, Any]]], dict[str, str]]


def _model_files(root: Path, folder: Path, project: dict[str, Any]) -> Files:
    """(model name -> (path, text), schema documents, schema texts) under the model paths."""
    models: dict[str, tuple[str, str]] = {}
    documents: list[tuple[str, dict[str, Any]]] = []
    texts: dict[str, str] = {}
    for base in _paths(folder, project, "model-paths", "models"):
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
    return models, documents, texts


def _packages(root: Path, folder: Path, project: dict[str, Any]) -> list[DbtPackage]:
    """The packages installed in the project's packages-install-path (default dbt_packages)."""
    where = folder / str(project.get("packages-install-path") or "dbt_packages")
    found = []
    for home in sorted(where.iterdir()) if where.is_dir() else []:
        if not (home / PROJECT_FILE).is_file():
            continue
        declared = _yaml(home / PROJECT_FILE)
        if not isinstance(declared, dict):
            raise RepoError(f"{str(home / PROJECT_FILE)!r} must be a mapping")
        models, documents, _texts = _model_files(root, home, declared)
        macros = [f.read_text(encoding="utf-8") for f in _macro_files(home, declared)]
        name = str(declared.get("name") or home.name)
        found.append(DbtPackage(name, declared, models, documents, macros))
    return found


def _seeds(root: Path, folder: Path, project: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Seed name -> (path, CSV text) of every `<seed-path>/**/*.csv` (default seeds/)."""
    return {
        file.stem: (file.relative_to(root).as_posix(), file.read_text(encoding="utf-8"))
        for base in _paths(folder, project, "seed-paths", "seeds")
        for file in sorted(base.rglob("*.csv"))
    }


def read_dbt_project(root: Path, folder: Path, dialect: str = "duckdb") -> DbtPipeline:
    """The pipeline of the dbt project in `folder`; file paths are relative to `root`."""
    project = _yaml(folder / PROJECT_FILE)
    if not isinstance(project, dict):
        raise RepoError(f"{str(folder / PROJECT_FILE)!r} must be a mapping")
    models, documents, texts = _model_files(root, folder, project)
    if not models:
        raise RepoError(f"no dbt models (*.sql) under the model paths of {str(folder)!r}")
    macros = [f.read_text(encoding="utf-8") for f in _macro_files(folder, project)]
    try:
        found = dbt_pipeline(
            models,
            project,
            documents,
            dialect,
            texts,
            macros,
            _packages(root, folder, project),
            _seeds(root, folder, project),
        )
    except ToolError as error:
        raise RepoError(f"{error}{_missing_packages(folder, project)}") from error
    for reason in found.unchecked:
        _log.warning("dbt test not checked by suture: %s", reason)
    return found


def _missing_packages(folder: Path, project: dict[str, Any]) -> str:
    """A hint when the project declares packages that are not installed where suture reads."""
    declared = [n for n in ("packages.yml", "dependencies.yml") if (folder / n).is_file()]
    installed = folder / str(project.get("packages-install-path") or "dbt_packages")
    if not declared or installed.is_dir():
        return ""
    return (
        f"; {declared[0]} declares packages but {str(installed)!r} does not exist: suture reads "
        "packages from the repository it clones, so run 'dbt deps' and commit them"
    )
