"""Column edges of one SQL script: SELECT models and statements with their own target tables."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.errors import ParseError, SchemaError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import build_scope
from sqlglot.schema import MappingSchema

from core.errors import ToolError
from tools.lineage.names import name_expressions
from tools.lineage.plans import plans
from tools.lineage.prepare import statements
from tools.lineage.scope import (
    DEPENDENCY_KINDS,
    EdgeKind,
    ScopeWalker,
    compose,
    output_names,
    table_name,
)
from tools.lineage.variables import as_variables, declared_variables

if TYPE_CHECKING:
    from core.contracts import Contract

_TYPES = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "object": "JSON",
    "array": "JSON",
}


@dataclass(frozen=True)
class ColumnEdge:
    """One column-level edge: `target` is derived from, or depends on, `source`.

    `source_dataset` is the topic, model or table the source column belongs to (`?` when no
    schema tells which table of a join holds it); `source_column` is dotted for nested fields.
    """

    source_dataset: str
    source_column: str
    target_dataset: str
    target_column: str
    kind: EdgeKind

    @property
    def source(self) -> str:
        """The source as `table.column`."""
        return f"{self.source_dataset}.{self.source_column}"

    @property
    def target(self) -> str:
        """The target as `table.column`."""
        return f"{self.target_dataset}.{self.target_column}"

    def as_dict(self) -> dict[str, str]:
        """The edge as JSON-ready values: source, target and kind."""
        return {"source": self.source, "target": self.target, "kind": self.kind}


@dataclass(frozen=True)
class StatementLineage:
    """What one statement writes (target and its columns), reads, and the edges between.

    `reads` are the physical tables the statement reads; `unresolved` the columns it reads
    whose table could not be told.
    """

    target: str
    columns: list[str]
    reads: list[str]
    edges: list[ColumnEdge]
    unresolved: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """The statement's lineage as JSON-ready values."""
        return {
            "target": self.target,
            "columns": list(self.columns),
            "reads": list(self.reads),
            "edges": [e.as_dict() for e in self.edges],
            "unresolved": list(self.unresolved),
        }


def contract_columns(contract: Contract) -> dict[str, str]:
    """A contract's top-level columns -> SQL type; dotted fields become STRUCT members.

    >>> from core.contracts import Contract
    >>> c = Contract(dataset="o", fields=[{"name": "id", "type": "integer"},
    ...     {"name": "address.city", "type": "string"}])
    >>> contract_columns(c)
    {'id': 'BIGINT', 'address': 'STRUCT("city" VARCHAR)'}
    """
    tree: dict[str, object] = {}
    for declared in contract.fields:
        node = tree
        *parents, leaf = declared.name.split(".")
        for part in parents:
            child = node.get(part)
            if not isinstance(child, dict):  # an `object` field declared before its members
                child = node[part] = {}
            node = child
        if not isinstance(node.get(leaf), dict):
            node[leaf] = _TYPES[declared.type]
    return {name: _type_sql(value) for name, value in tree.items()}


def _type_sql(value: object) -> str:
    if isinstance(value, dict):
        members = ", ".join(f'"{k}" {_type_sql(v)}' for k, v in value.items())
        return f"STRUCT({members})"
    return str(value)


def lineage_schema(tables: Mapping[str, Mapping[str, str]], dialect: str) -> MappingSchema:
    """A sqlglot schema from table -> column -> type (types in DuckDB syntax)."""
    schema = MappingSchema(dialect=dialect)
    # The most qualified name sets the schema's depth (a topic like dbserver1.public.customers);
    # shorter names are padded to it, and unqualified references still find them.
    for table in sorted(tables, key=lambda name: -len(exp.to_table(name).parts)):
        add_table(schema, table, tables[table])
    return schema


def add_table(schema: MappingSchema, table: str, columns: Mapping[str, str]) -> None:
    """Teach `schema` the columns of `table`, so stars over it expand."""
    target = exp.to_table(table)
    depth = schema.depth()
    if depth and len(target.parts) > depth:
        return  # deeper than every known table: its stars stay unexpanded, nothing breaks
    if depth and len(target.parts) < depth:
        blank = [exp.Identifier(this="", quoted=True)] * (depth - len(target.parts))
        parts = [*blank, *(exp.Identifier(this=p.name, quoted=True) for p in target.parts)]
        target = exp.Table(
            this=parts[-1],
            db=parts[-2] if depth > 1 else None,
            catalog=parts[-3] if depth > 2 else None,
        )
    try:
        types = {name: _data_type(kind) for name, kind in columns.items()}
        schema.add_table(target, types, dialect=schema.dialect)
    except (ParseError, SchemaError, ValueError) as error:
        raise ToolError(f"cannot add table {table!r} to the lineage schema: {error}") from error


def _data_type(kind: str) -> exp.DataType:
    # A plain type name needs no dialect; loading DuckDB's costs a CLI call ~0.1 s.
    if kind.isalpha():
        return exp.DataType.build(kind)
    return exp.DataType.build(kind, dialect="duckdb")


def script_lineage(
    sql: str, *, dialect: str, schema: MappingSchema | None = None, default_target: str = "query"
) -> list[StatementLineage]:
    """Lineage of every statement in `sql`; a bare query writes to `default_target`."""
    schema = schema if schema is not None else MappingSchema(dialect=dialect)
    results: list[StatementLineage] = []
    parsed = statements(sql, dialect)
    variables = declared_variables(parsed)
    for statement in parsed:
        for plan in plans(as_variables(statement, variables), default_target, schema):
            result = _query_lineage(
                plan.query, plan.target, plan.names, dialect=dialect, schema=schema
            )
            results.append(result)
            known = [c for c in result.columns if c != "*"]  # an unexpanded star teaches nothing
            # What a statement creates or fills teaches the schema its columns; an UPDATE or
            # MERGE names only the columns it sets, and a table already known keeps its own.
            if known and plan.creates and not _known(schema, result.target):
                add_table(schema, result.target, dict.fromkeys(known, "VARCHAR"))
    return results


def script_edges(
    sql: str, *, dialect: str, schema: MappingSchema | None = None, default_target: str = "query"
) -> list[ColumnEdge]:
    """Every column edge of `sql`, sorted and without repeats.

    >>> [e.source + " -> " + e.target + " " + e.kind for e in script_edges(
    ...     "select cast(a as int) as b from t where c > 0", dialect="duckdb")]
    ['t.a -> query.b cast', 't.c -> query.b filter']
    """
    lineages = script_lineage(sql, dialect=dialect, schema=schema, default_target=default_target)
    return _dedupe([e for lineage in lineages for e in lineage.edges])


def _qualified(query: exp.Expr, dialect: str, schema: MappingSchema) -> exp.Expr:
    """`query` qualified as far as sqlglot can; never fails for columns it cannot place.

    Full qualification first; where it gives up (a column of an unknown table beside a
    correlated subquery, an alias it cannot tell from a column without a schema), columns
    stay as written and the walker places them, or marks them unresolved (`?`).
    """
    named = name_expressions(query, dialect)
    error: SqlglotError | None = None
    for partial, columns in ((False, True), (True, True), (True, False)):
        for known in (schema, MappingSchema(dialect=dialect)):
            try:
                return qualify(
                    named.copy(),
                    dialect=dialect,
                    schema=known,
                    validate_qualify_columns=False,
                    quote_identifiers=False,
                    identify=False,
                    allow_partial_qualification=partial,
                    qualify_columns=columns,
                )
            except SqlglotError as failure:
                error = failure
    raise ToolError(f"cannot resolve the columns of the query: {error}") from error


def _query_lineage(
    query: exp.Expr,
    target: str,
    names: list[str] | None,
    *,
    dialect: str,
    schema: MappingSchema,
) -> StatementLineage:
    qualified = _qualified(query, dialect, schema)
    root = build_scope(qualified)
    if root is None:
        raise ToolError(f"{target!r} is not a query that lineage can follow")
    walker = ScopeWalker(schema)
    outputs = output_names(qualified)
    columns = names if names is not None and len(names) == len(outputs) else outputs
    edges = [
        ColumnEdge(
            source_dataset=table,
            source_column=column,
            target_dataset=target,
            target_column=name,
            kind=kind,
        )
        for index, name in enumerate(columns)
        for table, column, kind in walker.column(root, index)
    ]
    reads = {
        table_name(source)
        for scope in root.traverse()
        for _, source in scope.selected_sources.values()
        if isinstance(source, exp.Table)
    }
    return StatementLineage(
        target=target,
        columns=list(dict.fromkeys(columns)),
        reads=sorted(reads),
        edges=_dedupe(edges),
        unresolved=sorted(walker.unresolved),
    )


def _known(schema: MappingSchema, table: str) -> bool:
    try:
        return bool(schema.column_names(exp.to_table(table)))
    except SchemaError:
        return False


def _dedupe(edges: list[ColumnEdge]) -> list[ColumnEdge]:
    """One value edge per column pair (the strongest kind), plus one per dependency kind."""
    best: dict[tuple[str, str, str], ColumnEdge] = {}
    for edge in edges:
        role = edge.kind if edge.kind in DEPENDENCY_KINDS else "value"
        key = (edge.source, edge.target, role)
        kept = best.get(key)
        if kept is None or compose(kept.kind, edge.kind) != kept.kind:
            best[key] = edge
    return sorted(best.values(), key=lambda e: (e.target, e.source, e.kind))
