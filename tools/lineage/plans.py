"""What each statement writes: (target table, declared column names, the query it runs).

INSERT, CREATE TABLE/VIEW ... AS, MERGE and UPDATE all become a SELECT over what they read,
so one engine follows them all. A WITH written before the statement (`WITH c AS (...) INSERT
...`, `WITH c AS (...) UPDATE ...`) is moved onto that SELECT, so CTEs trace to base tables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import SchemaError
from sqlglot.schema import MappingSchema

from core.errors import ToolError
from tools.lineage.scope import name_of, table_name


@dataclass(frozen=True)
class Plan:
    """One write: the target, its declared column names (None: the query's own), the query."""

    target: str
    names: list[str] | None
    query: exp.Expr
    creates: bool = True
    """False for UPDATE and MERGE: they set some columns of a table that exists."""


def plans(statement: exp.Expr, default: str, schema: MappingSchema) -> Iterator[Plan]:
    """One plan per write `statement` makes; a bare query writes to `default`."""
    ctes = statement.args.get("with_")
    if isinstance(statement, exp.Select) and isinstance(
        into := statement.args.get("into"), exp.Into
    ):
        # SELECT ... INTO t (T-SQL, PostgreSQL): creates t from the query.
        selected = statement.copy()
        selected.set("into", None)
        if isinstance(into.this, exp.Table):
            yield Plan(table_name(into.this), None, selected)
    elif isinstance(statement, exp.Query):
        yield Plan(default, None, statement)
    elif isinstance(statement, exp.Insert):
        query = _unwrap(statement.expression)
        if isinstance(query, exp.Query):
            target, names = _target(statement.this)
            if names is None:
                names = _known_columns(schema, target) or None
            yield Plan(target, names, _with(query, ctes))
    elif isinstance(statement, exp.Create):
        query = _unwrap(statement.expression)
        if isinstance(query, exp.Query):
            target, names = _target(statement.this)
            yield Plan(target, names, _with(query, ctes))
    elif isinstance(statement, exp.Merge):
        for plan in _merge_plans(statement):
            yield Plan(plan.target, plan.names, _with(plan.query, ctes), creates=False)
    elif isinstance(statement, exp.Update):
        for plan in _update_plans(statement):
            yield Plan(plan.target, plan.names, _with(plan.query, ctes), creates=False)


def _unwrap(node: exp.Expr | None) -> exp.Expr | None:
    while isinstance(node, exp.Subquery) and not node.alias:
        node = node.this
    return node


def _with(query: exp.Expr, ctes: exp.Expr | None) -> exp.Expr:
    """`query` with the statement's leading CTEs before its own."""
    if not isinstance(ctes, exp.With) or not isinstance(query, exp.Query):
        return query
    query = query.copy()
    own = query.args.get("with_")
    merged = [c.copy() for c in ctes.expressions] + (list(own.expressions) if own else [])
    query.set("with_", exp.With(expressions=merged, recursive=ctes.args.get("recursive")))
    return query


def _known_columns(schema: MappingSchema, table: str) -> list[str]:
    try:
        return [name_of(c) for c in schema.column_names(exp.to_table(table))]
    except SchemaError:
        return []


def _target(node: exp.Expr) -> tuple[str, list[str] | None]:
    if isinstance(node, exp.Schema) and isinstance(node.this, exp.Table):
        names = [name_of(c.this if isinstance(c, exp.ColumnDef) else c) for c in node.expressions]
        return table_name(node.this), names or None
    if isinstance(node, exp.Table):
        return table_name(node), None
    raise ToolError(f"cannot tell which table {node.sql()!r} writes to")


def _assignment_select(assignments: list[tuple[exp.Expr, exp.Expr]]) -> exp.Select:
    return exp.select(*(exp.alias_(value.copy(), name_of(col)) for col, value in assignments))


def _merge_plans(merge: exp.Merge) -> Iterator[Plan]:
    target = merge.this
    if not isinstance(target, exp.Table):
        return
    for when in merge.args["whens"].expressions:
        then = when.args.get("then")
        pairs: list[tuple[exp.Expr, exp.Expr]] = []
        if isinstance(then, exp.Update):
            pairs = [(a.this, a.expression) for a in then.expressions if isinstance(a, exp.EQ)]
        elif isinstance(then, exp.Insert) and isinstance(then.this, exp.Tuple):
            values = then.expression.expressions if then.expression is not None else []
            pairs = list(zip(then.this.expressions, values, strict=False))
        if not pairs:
            continue
        select = _assignment_select(pairs).from_(target.copy())
        select = select.join(merge.args["using"].copy(), on=merge.args["on"].copy())
        if condition := when.args.get("condition"):
            select = select.where(condition.copy())
        yield Plan(table_name(target), [name_of(c) for c, _ in pairs], select)


def _update_plans(update: exp.Update) -> Iterator[Plan]:
    target = update.this
    if not isinstance(target, exp.Table):
        return
    from_ = update.args.get("from_")
    joins = [join.copy() for join in update.args.get("joins") or []]
    if target.args.get("joins"):  # MySQL: UPDATE a JOIN b ON ... SET ...
        joins = [join.copy() for join in target.args["joins"]] + joins
        target = target.copy()
        target.set("joins", None)
    read = [from_.this, *(j.this for j in joins)] if from_ is not None else []
    # T-SQL's `UPDATE t SET ... FROM tab1 t JOIN ...` names the target by its alias in FROM.
    aliased = next(
        (t for t in read if isinstance(t, exp.Table) and not target.db and t.alias == target.name),
        None,
    )
    pairs = [(a.this, a.expression) for a in update.expressions if isinstance(a, exp.EQ)]
    if aliased is not None and from_ is not None:
        select = _assignment_select(pairs).from_(from_.this.copy())
        target = aliased
    else:
        select = _assignment_select(pairs).from_(target.copy())
        if from_ is not None:
            select = select.join(from_.this.copy(), join_type="cross")
    for join in joins:
        select = select.join(join)
    if (where := update.args.get("where")) is not None:
        select = select.where(where.this.copy())
    yield Plan(table_name(target), [name_of(c) for c, _ in pairs], select)
