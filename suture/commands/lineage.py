"""`suture lineage PATH`: column edges of one SQL script, or of a whole pipeline directory."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.errors import ConfigError, ToolError

if TYPE_CHECKING:
    from sqlglot.schema import MappingSchema


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `lineage` sub-command."""
    parser = subparsers.add_parser(
        "lineage",
        help="print column lineage edges of an SQL file or a pipeline directory",
        description=__doc__,
    )
    parser.add_argument("path", type=Path, help="an .sql file, or a pipeline directory")
    parser.add_argument("--dialect", help="SQL dialect (default: pipeline.yaml's, else duckdb)")
    parser.add_argument(
        "--schema",
        type=Path,
        help="YAML: a contract, a list of contracts, or table -> {column: type} / [columns]",
    )
    parser.add_argument("--json", action="store_true", help="one JSON object per edge")
    parser.add_argument(
        "--openlineage", action="store_true", help="OpenLineage run events (directories only)"
    )
    parser.add_argument("--namespace", default="suture", help="OpenLineage namespace of models")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Print the edges (or OpenLineage events) of args.path."""
    # Imported here, not at the top: `suture --help` and other commands never load sqlglot.
    from tools.lineage.script import script_edges

    path: Path = args.path
    if path.is_dir():
        from agents.edges.pipeline_files import read_pipeline_dir
        from tools.lineage.graph import build_lineage
        from tools.lineage.openlineage import openlineage_events

        files = read_pipeline_dir(path)
        pipeline = files.pipeline
        if args.dialect:
            pipeline = pipeline.model_copy(update={"dialect": args.dialect})
        graph = build_lineage(pipeline, files.contracts, files.exposures)
        if args.openlineage:
            for event in openlineage_events(graph, namespace=args.namespace):
                print(json.dumps(event.model_dump(by_alias=True, mode="json")))
            return 0
        edges = [(e.source, e.target, e.kind) for e in graph.edges]
    else:
        if args.openlineage:
            raise ConfigError("--openlineage needs a pipeline directory, not a single file")
        dialect = args.dialect or "duckdb"
        try:
            sql = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ToolError(f"cannot read {str(path)!r}: {error}") from error
        schema = _schema(args.schema, dialect) if args.schema else None
        found = script_edges(sql, dialect=dialect, schema=schema, default_target=path.stem)
        edges = [(e.source, e.target, e.kind) for e in found]
    for source, target, kind in edges:
        if args.json:
            print(json.dumps({"source": source, "target": target, "kind": kind}))
        else:
            print(f"{source} -> {target} ({kind})")
    return 0


def _schema(path: Path, dialect: str) -> MappingSchema:
    """Tables and columns from a schema YAML file (contracts or plain mappings)."""
    import yaml
    from pydantic import ValidationError

    from core.contracts import Contract
    from core.yaml_source import load_yaml_text
    from tools.lineage.script import contract_columns, lineage_schema

    try:
        data: Any = load_yaml_text(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"cannot read schema file {str(path)!r}: {error}") from error
    items = data if isinstance(data, list) else [data]
    tables: dict[str, Mapping[str, str]] = {}
    try:
        for item in items:
            if isinstance(item, dict) and "dataset" in item and "fields" in item:
                contract = Contract.model_validate(item)
                tables[contract.dataset] = contract_columns(contract)
            elif isinstance(item, dict):
                for table, columns in item.items():
                    tables[str(table)] = _columns(columns)
            else:
                raise TypeError(f"expected a mapping, got {type(item).__name__}")
    except (ValidationError, TypeError) as error:
        raise ConfigError(
            f"schema file {str(path)!r} must hold contracts or table -> columns: {error}"
        ) from error
    return lineage_schema(tables, dialect)


def _columns(columns: object) -> dict[str, str]:
    if isinstance(columns, list):
        return {str(c): "VARCHAR" for c in columns}
    if isinstance(columns, dict):
        return {str(c): str(t or "VARCHAR") for c, t in columns.items()}
    raise TypeError(f"columns must be a list or a mapping, got {type(columns).__name__}")
