"""Reads a pipeline repository directory: pipeline.yaml, models/*.sql, contracts/*.yaml, exposures.

Layout (see examples/shop/)::

    pipeline.yaml       name (optional), dialect (default duckdb), description (optional)
    models/**/*.sql     one SQL model per file; the model name is the file stem
    contracts/*.yaml    one data contract per file (core.contracts.Contract), or an
                        ODCS v3 / datacontract.com document; contracts/*.json (JSON Schema)
                        and contracts/*.avsc (Avro) are imported too (tools.contracts.importer)
    exposures.yaml      optional: `exposures:` list of {name, type, owner, depends_on}

A dbt project (dbt_project.yml at the root, or in the folder pipeline.yaml's `dbt_project:`
names) is read by agents.edges.dbt_project instead of models/ and contracts/: its models are
rendered from Jinja, its contracts come from `sources:` in schema YAML, its tests are invariants.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.edges.dbt_project import PROJECT_FILE as DBT_PROJECT_FILE
from agents.edges.dbt_project import is_dbt_project, read_dbt_project
from core.contracts import Contract, Pipeline
from core.errors import ContractError, RepoError
from core.yaml_source import YamlSource, YamlSourceError, parse_yaml
from tools.contracts.importer import import_contract, is_foreign_yaml

PIPELINE_FILE = "pipeline.yaml"
MODELS_DIR = "models"
CONTRACTS_DIR = "contracts"
EXPOSURES_FILE = "exposures.yaml"
_YAML_SUFFIXES = (".yaml", ".yml")
CONTRACT_SUFFIXES = (*_YAML_SUFFIXES, ".json", ".avsc")


class PipelineManifest(BaseModel):
    """The content of pipeline.yaml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = None
    dialect: str = "duckdb"
    description: str | None = None
    dbt_project: str | None = Field(
        default=None, description="Folder of the dbt project, relative to the repository."
    )


class PipelineFiles(BaseModel):
    """Everything read from one pipeline directory; `model_paths` are relative to `root`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    root: Path
    name: str | None = None
    pipeline: Pipeline
    contracts: dict[str, Contract] = Field(default_factory=dict)
    exposures: list[dict[str, Any]] = Field(default_factory=list)
    model_paths: dict[str, Path] = Field(default_factory=dict)
    broken_contracts: dict[str, str] = Field(
        default_factory=dict, description="Contract file -> why it could not be read (lenient)."
    )


def _parse_yaml(path: Path, error_type: type[Exception]) -> YamlSource:
    """Load a YAML file and its node tree; syntax errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise error_type(f"cannot read {str(path)!r}: {error}") from error
    try:
        return parse_yaml(text, path)
    except YamlSourceError as error:
        raise error_type(
            f"{str(path)!r} is not valid YAML at line {error.line}: {error}; fix it"
        ) from error


def _explain(source: YamlSource, error: ValidationError, what: str) -> str:
    """One message naming the file, the line and the field of every validation problem."""
    problems = []
    for item in error.errors():
        loc = tuple(p for p in item["loc"] if isinstance(p, (str, int)))
        field = ".".join(str(p) for p in loc) or "(top level)"
        problems.append(f"line {source.line_of(loc)}: field {field!r}: {item['msg']}")
    return f"{str(source.path)!r} is not a valid {what}: " + "; ".join(problems)


def load_contract_file(path: Path) -> Contract:
    """Read and validate one data contract file; problems name the file, line and field."""
    if path.suffix not in _YAML_SUFFIXES:
        return _import_contract_file(path)
    source = _parse_yaml(path, ContractError)
    data = source.data
    if is_foreign_yaml(data):
        return _import_contract_file(path)
    if not isinstance(data, dict):
        raise ContractError(
            f"{str(path)!r} must hold one contract as a mapping (dataset, fields, ...), "
            f"got {type(data).__name__}"
        )
    try:
        return Contract.model_validate(data)
    except ValidationError as error:
        raise ContractError(_explain(source, error, "data contract")) from error


def _import_contract_file(path: Path) -> Contract:
    """A JSON Schema, Avro, ODCS or datacontract.com file read through its importer."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ContractError(f"cannot read {str(path)!r}: {error}") from error
    return import_contract(text, str(path))


def _read_manifest(root: Path) -> PipelineManifest:
    path = root / PIPELINE_FILE
    if not path.is_file():
        return PipelineManifest()
    source = _parse_yaml(path, RepoError)
    data = source.data
    try:
        return PipelineManifest.model_validate(data or {})
    except ValidationError as error:
        raise RepoError(_explain(source, error, "pipeline manifest")) from error


def _read_models(root: Path) -> tuple[dict[str, str], dict[str, Path]]:
    folder = root / MODELS_DIR
    files = sorted(folder.rglob("*.sql")) if folder.is_dir() else []
    if not files:
        raise RepoError(f"no SQL models under {str(folder)!r}; add models/<name>.sql files")
    models: dict[str, str] = {}
    paths: dict[str, Path] = {}
    for file in files:
        name = file.stem
        if name in paths:
            raise RepoError(
                f"model {name!r} is defined twice: {str(paths[name])!r} and "
                f"{str(file.relative_to(root))!r}; model names (file stems) must be unique"
            )
        try:
            models[name] = file.read_text(encoding="utf-8")
        except OSError as error:
            raise RepoError(f"cannot read model file {str(file)!r}: {error}") from error
        paths[name] = file.relative_to(root)
    return models, paths


def read_contract_folder(folder: Path) -> tuple[dict[str, Contract], dict[str, str]]:
    """Every contract file in `folder` that reads, by dataset, and file -> error for the rest."""
    if not folder.is_dir():
        return {}, {}
    contracts: dict[str, Contract] = {}
    origins: dict[str, Path] = {}
    broken: dict[str, str] = {}
    for file in sorted(p for p in folder.iterdir() if p.suffix in CONTRACT_SUFFIXES):
        try:
            contract = load_contract_file(file)
        except ContractError as error:
            broken[str(file)] = str(error)
            continue
        if contract.dataset in contracts:
            broken[str(file)] = (
                f"dataset {contract.dataset!r} has two contracts: "
                f"{str(origins[contract.dataset])!r} and {str(file)!r}; keep one"
            )
            continue
        contracts[contract.dataset] = contract
        origins[contract.dataset] = file
    return contracts, broken


def _read_exposures(root: Path) -> list[dict[str, Any]]:
    path = root / EXPOSURES_FILE
    if not path.is_file():
        return []
    data = _parse_yaml(path, RepoError).data
    exposures = (data or {}).get("exposures", []) if isinstance(data, dict) else data
    if not isinstance(exposures, list) or not all(isinstance(e, dict) for e in exposures):
        raise RepoError(f"{str(path)!r} must hold `exposures:` as a list of mappings")
    return exposures


def read_pipeline_dir(path: Path, *, lenient: bool = False) -> PipelineFiles:
    """Read a pipeline repository directory into models, contracts and exposures.

    A broken contract file raises ContractError, or with `lenient` is left out and explained in
    `broken_contracts`, so one bad file does not stop the watch over every other topic.
    """
    root = Path(path)
    if not root.is_dir():
        raise RepoError(f"pipeline directory {str(root)!r} does not exist")
    manifest = _read_manifest(root)
    dbt_folder = root / (manifest.dbt_project or ".")
    if manifest.dbt_project is not None and not is_dbt_project(dbt_folder):
        raise RepoError(
            f"pipeline.yaml names dbt_project {manifest.dbt_project!r}, which has "
            f"no {DBT_PROJECT_FILE}; fix the folder"
        )
    if is_dbt_project(dbt_folder):
        found = read_dbt_project(root, dbt_folder, manifest.dialect)
        pipeline, contracts, broken = found.pipeline, found.contracts, found.broken
        model_paths = {m: Path(t.path) for m, t in pipeline.templates.items()}
    else:
        models, model_paths = _read_models(root)
        pipeline = Pipeline(dialect=manifest.dialect, models=models)
        contracts, broken = read_contract_folder(root / CONTRACTS_DIR)
    if broken and not lenient:
        raise ContractError(next(iter(broken.values())))
    return PipelineFiles(
        root=root,
        name=manifest.name,
        pipeline=pipeline,
        contracts=contracts,
        broken_contracts=broken,
        exposures=_read_exposures(root),
        model_paths=model_paths,
    )
