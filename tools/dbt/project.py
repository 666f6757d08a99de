"""A dbt project's files (already read) -> suture's pipeline: rendered models, contracts.

Models are rendered with the Jinja renderer lineage uses (tools.lineage.dbt): `ref('m')` becomes
the model name `m`, `source('s', 't')` the topic the source table stands for, `var()` the
project's vars. The Jinja text is kept beside the rendered SQL, so fixes are written back into it.
The models of installed packages and the project's seeds are relations too (read for lineage and
replay), but read-only: no fix changes them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.contracts import Contract, FileText, ModelTemplate, Pipeline, TemplateContext
from core.errors import ToolError
from tools.dbt.schema import read_schema
from tools.dbt.seeds import seed_sql
from tools.sql.model_graph import build_graph


@dataclass(frozen=True)
class DbtPipeline:
    """The pipeline a dbt project describes, and what could not be read (lenient)."""

    pipeline: Pipeline
    contracts: dict[str, Contract]
    broken: dict[str, str] = field(default_factory=dict)
    unchecked: list[str] = field(default_factory=list)  # tests no contract can carry


@dataclass(frozen=True)
class DbtPackage:
    """An installed package (dbt_packages/NAME), already read: its models are never patched."""

    name: str
    project: Mapping[str, Any]
    models: Mapping[str, tuple[str, str]]  # model name -> (file path, Jinja text)
    documents: Sequence[tuple[str, Mapping[str, Any]]] = ()  # its schema YAML (its sources)
    macros: Sequence[str] = ()


def package_vars(root: Mapping[str, Any], package: DbtPackage) -> dict[str, Any]:
    """The vars a package's models see: the package's own, overridden by the root project's
    global vars and those it scopes to the package's name (as dbt resolves them)."""
    declared = root.get("vars") or {}
    scoped = declared.get(package.name) if isinstance(declared, Mapping) else None
    flat = (
        {k: v for k, v in declared.items() if not isinstance(v, Mapping)}
        if isinstance(declared, Mapping)
        else {}
    )
    own = project_vars(package.project)
    return own | flat | (dict(scoped) if isinstance(scoped, Mapping) else {})


def project_vars(project: Mapping[str, Any]) -> dict[str, Any]:
    """`vars:` of dbt_project.yml: global ones, and those scoped to this project's name."""
    declared = project.get("vars") or {}
    if not isinstance(declared, Mapping):
        return {}
    name = project.get("name")
    flat = {k: v for k, v in declared.items() if not isinstance(v, Mapping)}
    scoped = declared.get(name) if isinstance(name, str) else None
    return flat | (dict(scoped) if isinstance(scoped, Mapping) else {})


def _topics_read(reads: Mapping[str, frozenset[str]], model: str) -> set[str]:
    """Every table `model` reads, directly or through the models it reads."""
    seen: set[str] = set()
    frontier = {model}
    while frontier:
        tables = {t for m in frontier for t in reads.get(m, frozenset()) if t not in seen}
        seen |= tables
        frontier = {t for t in tables if t in reads and t not in frontier}
    return seen


def _attached(
    contracts: dict[str, Contract], pipeline: Pipeline, invariants: Sequence[Any]
) -> tuple[dict[str, Contract], list[str]]:
    """Each model invariant joins the contract of the (first) topic its model reads."""
    graph = build_graph(pipeline, set(contracts))
    extra: dict[str, list[Any]] = {}
    left: list[str] = []
    for invariant in invariants:
        if invariant.model not in pipeline.models:
            left.append(f"{invariant.name}: no model {invariant.model!r}")
            continue
        topics = sorted(_topics_read(graph.reads, invariant.model) & set(contracts))
        if not topics:
            left.append(f"{invariant.name}: model {invariant.model!r} reads no contracted topic")
            continue
        extra.setdefault(topics[0], []).append(invariant)
    updated = {
        topic: c.model_copy(update={"invariants": [*c.invariants, *extra.get(topic, [])]})
        for topic, c in contracts.items()
    }
    return updated, left


def dbt_pipeline(
    models: Mapping[str, tuple[str, str]],
    project: Mapping[str, Any],
    schema_documents: Sequence[tuple[str, Mapping[str, Any]]],
    dialect: str = "duckdb",
    schema_texts: Mapping[str, str] | None = None,
    macros: Sequence[str] = (),
    packages: Sequence[DbtPackage] = (),
    seeds: Mapping[str, tuple[str, str]] | None = None,
) -> DbtPipeline:
    """The pipeline of a dbt project; `models` maps model name -> (file path, Jinja text),
    `seeds` seed name -> (file path, CSV text).

    `schema_texts` (file path -> text) lets a fix rename a source's columns in its file."""
    from tools.lineage.dbt import render_model  # jinja2 only for dbt projects

    schema = read_schema(schema_documents)
    context = TemplateContext(
        variables=project_vars(project),
        sources=schema.sources,
        macros=list(macros),
        packages={p.name: list(p.macros) for p in packages},
    )
    rendered: dict[str, str] = {}
    for name, (path, text) in models.items():
        try:
            rendered[name] = render_model(
                text, context.variables, context.sources, macros, context.packages
            )
        except ToolError as error:
            raise ToolError(f"dbt model {path!r}: {error}") from error
    read_only = _relations(rendered, project, packages, seeds or {}, context, dialect)
    pipeline = Pipeline(
        dialect=dialect,
        models=rendered,
        templates={name: ModelTemplate(path=p, text=t) for name, (p, t) in models.items()},
        context=context,
        contract_files={
            topic: FileText(path=path, text=(schema_texts or {})[path])
            for topic, path in schema.origins.items()
            if path in (schema_texts or {})
        },
        read_only=read_only,
    )
    contracts, left = _attached(schema.contracts, pipeline, schema.invariants)
    return DbtPipeline(pipeline=pipeline, contracts=contracts, broken=schema.broken, unchecked=left)


def _relations(
    rendered: dict[str, str],
    project: Mapping[str, Any],
    packages: Sequence[DbtPackage],
    seeds: Mapping[str, tuple[str, str]],
    context: TemplateContext,
    dialect: str,
) -> dict[str, str]:
    """Render the packages' models and the seeds into `rendered`; why each is read-only."""
    from tools.lineage.dbt import render_model

    read_only: dict[str, str] = {}
    for name, (path, text) in seeds.items():
        if name in rendered:
            raise ToolError(f"dbt seed {path!r} has the name of model {name!r}; rename one")
        try:
            rendered[name] = seed_sql(text, dialect)
        except ToolError as error:
            raise ToolError(f"dbt seed {path!r}: {error}") from error
        read_only[name] = f"dbt seed {path!r}"
    for package in packages:
        sources = read_schema(package.documents).sources | context.sources
        variables = package_vars(project, package)
        for name, (path, text) in package.models.items():
            if name in rendered:
                continue  # the project's own model (or seed) of that name is the one refs meet
            try:
                rendered[name] = render_model(
                    text, variables, sources, package.macros, context.packages
                )
            except ToolError as error:
                raise ToolError(f"dbt model {path!r} of package {package.name!r}: {error}") from (
                    error
                )
            read_only[name] = f"a model of dbt package {package.name!r} ({path})"
    return read_only
