"""Find every column reference in a query that resolves to one table (a topic), with its path."""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, traverse_scope

from core.contracts import Contract, Pipeline
from core.errors import ToolError
from tools.lineage.graph import build_lineage
from tools.sql.model_graph import resolve_name, table_name


@dataclass(frozen=True)
class Reference:
    """A column reference to the dataset: the node to replace and the field path it reads.

    `qualifier` is the table alias written before the path (None when unqualified), and
    `alias` the dataset's alias in the reference's scope (to qualify replacements with).
    """

    node: exp.Expr
    path: tuple[str, ...]
    qualifier: exp.Identifier | None
    alias: str
    scope_sources: int


def dataset_aliases(scope: Scope, dataset: str) -> list[str]:
    """Aliases under which `scope` reads the table `dataset` directly."""
    return [
        alias
        for alias, source in scope.sources.items()
        if isinstance(source, exp.Table) and resolve_name(table_name(source), {dataset}) == dataset
    ]


def scopes_by_expression(tree: exp.Expr) -> dict[int, Scope]:
    """Each scope of `tree`, keyed by the id of the expression it belongs to."""
    try:
        return {id(scope.expression): scope for scope in traverse_scope(tree)}
    except SqlglotError as error:
        raise ToolError(f"cannot resolve the scopes of the query: {error}") from error


def innermost_scope(node: exp.Expr, scopes: dict[int, Scope]) -> Scope | None:
    """The scope whose expression most closely encloses `node`."""
    current: exp.Expr | None = node
    while current is not None:
        if id(current) in scopes:
            return scopes[id(current)]
        current = current.parent
    return None


def _outermost(column: exp.Column) -> tuple[exp.Expr, list[str]]:
    node: exp.Expr = column
    parts = [p.name for p in column.parts]
    while isinstance(node.parent, exp.Dot) and node.parent.this is node:
        node = node.parent
        parts.append(node.expression.name)
    return node, parts


def _provided_by_other(scope: Scope, name: str, aliases: list[str]) -> bool:
    for alias, source in scope.sources.items():
        if alias in aliases:
            continue
        if isinstance(source, exp.Table):
            return True  # another table (a model we cannot see into) might have the column
        selects = (
            getattr(source.expression, "named_selects", []) if isinstance(source, Scope) else []
        )
        if name in selects:
            return True
    return False


def _resolve(column: exp.Column, scope: Scope, dataset: str) -> Reference | None:
    node, parts = _outermost(column)
    head = column.parts[0]
    first = exp.to_identifier(head.name, quoted=bool(head.args.get("quoted")))
    chain: Scope | None = scope
    if len(parts) > 1:
        while chain is not None:
            if first.name in chain.sources:
                aliases = dataset_aliases(chain, dataset)
                if first.name not in aliases:
                    return None
                return Reference(node, tuple(parts[1:]), first, first.name, len(chain.sources))
            chain = chain.parent
    aliases = dataset_aliases(scope, dataset)
    if len(aliases) != 1:
        return None
    if len(scope.sources) > 1 and _provided_by_other(scope, parts[0], aliases):
        return None
    return Reference(node, tuple(parts), None, aliases[0], len(scope.sources))


def dataset_references(tree: exp.Expr, dataset: str) -> list[Reference]:
    """Every column reference in `tree` that reads table `dataset`, in tree order.

    Qualified references (`o.cust_id`, `o.address.city`) resolve through the alias, also from
    correlated subqueries; unqualified ones when the scope reads `dataset` and no other source of
    the scope can provide the name.
    """
    scopes = scopes_by_expression(tree)
    found: list[Reference] = []
    for column in tree.find_all(exp.Column):
        if isinstance(column.this, exp.Star) or not column.name:
            continue
        scope = innermost_scope(column, scopes)
        if scope is None:
            continue
        reference = _resolve(column, scope, dataset)
        if reference is not None:
            found.append(reference)
    return found


def fields_used(pipeline: Pipeline, dataset: str, contract: Contract | None = None) -> set[str]:
    """Dotted event fields the pipeline's models read from topic `dataset`.

    Asked of the lineage engine, the one the healer and the guardrails use: every field with an
    edge (value or predicate) into a model column. A `*` over the topic, or a struct read whole,
    uses every contract field below it (none are known without a contract); a column a model
    reads without telling from which of its tables (`?`) counts when the model reads `dataset`.

    >>> sorted(fields_used(Pipeline(models={"m": "select o.a, b.c from t o"}), "t"))
    ['a', 'b.c']
    """
    graph = build_lineage(pipeline, {dataset: contract} if contract is not None else {})
    used = {
        node.column
        for edge in graph.edges
        if (node := graph.nodes[edge.source]).dataset == dataset and node.column
    }
    for model, names in graph.unresolved.items():
        if dataset in graph.model_reads.get(model, []):
            used |= set(names)
    whole = "*" in used
    used.discard("*")
    if contract is None:
        return used
    fields = set(contract.field_names)
    structs = {u for u in used if u not in fields and any(f.startswith(u + ".") for f in fields)}
    below = {f for f in fields if whole or any(f.startswith(s + ".") for s in structs)}
    return (used - structs) | below


def reads_star(tree: exp.Expr, dataset: str) -> bool:
    """True when a scope of `tree` selects `*` or `alias.*` over table `dataset`."""
    for scope in scopes_by_expression(tree).values():
        if isinstance(scope.expression, exp.Select) and dataset_aliases(scope, dataset):
            for projection in scope.expression.expressions:
                if isinstance(projection, exp.Star) or isinstance(projection.this, exp.Star):
                    return True
    return False
