"""Column lineage of one qualified query, walked scope by scope down to physical tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, get_args

from sqlglot import exp
from sqlglot.errors import SchemaError
from sqlglot.optimizer.scope import Scope, find_all_in_scope
from sqlglot.schema import MappingSchema

ValueKind = Literal["direct", "cast", "expression", "aggregate"]
DependencyKind = Literal["filter", "join", "group_by", "window"]
EdgeKind = Literal[
    "direct", "cast", "expression", "aggregate", "filter", "join", "group_by", "window"
]
VALUE_KINDS: tuple[str, ...] = get_args(ValueKind)
DEPENDENCY_KINDS: tuple[str, ...] = get_args(DependencyKind)
_RANK = {kind: rank for rank, kind in enumerate(VALUE_KINDS)}
_TRANSPARENT = (exp.Alias, exp.Paren)
_CASTS = (exp.Cast, exp.TryCast)

UNRESOLVED = "?"
"""The source table of a column no source could be found for (a join without a schema)."""
Dep = tuple[str, str, EdgeKind]
"""(source table, source column path, kind): one source of one output column."""


def compose(outer: EdgeKind, inner: EdgeKind) -> EdgeKind:
    """The kind of a two-step derivation: dependencies keep their kind, values take the stronger.

    >>> compose("cast", "direct"), compose("join", "cast"), compose("direct", "filter")
    ('cast', 'join', 'filter')
    """
    if inner in DEPENDENCY_KINDS:
        return inner
    if outer in DEPENDENCY_KINDS:
        return outer
    return outer if _RANK[outer] >= _RANK[inner] else inner


def name_of(identifier: exp.Identifier | exp.Expr | str) -> str:
    """An identifier as lineage writes it: unquoted names are case-insensitive, so lower case."""
    if isinstance(identifier, str):
        return identifier
    if isinstance(identifier, exp.Identifier):
        return identifier.name if identifier.quoted else identifier.name.lower()
    return identifier.name.lower()


def table_name(table: exp.Table) -> str:
    """The dotted name of a physical table (db.table), without its alias."""
    parts = [p for p in (table.args.get("catalog"), table.args.get("db"), table.this) if p]
    name = ".".join(name_of(p) for p in parts)
    # T-SQL's #temp tables are another table than one named temp: keep the mark.
    return f"#{name}" if table.this.args.get("temporary") else name


def value_kind(column: exp.Column, root: exp.Expr) -> EdgeKind:
    """How `column` reaches the value of `root`: directly, cast, in an expression, aggregated.

    Columns in a window's PARTITION BY or ORDER BY shape the value: an `expression` edge
    (the caller adds the `window` predicate edge, see `in_window_spec`).
    """
    filtered = aggregate = computed = cast = False
    child: exp.Expr = column
    node = column.parent
    while node is not None and child is not root:
        if isinstance(node, exp.Window) and child is not node.this:
            computed = True
        elif isinstance(node, exp.Filter) and child is not node.this:
            filtered = True  # sum(x) FILTER (WHERE y): y picks rows, it is not summed
        elif isinstance(node, exp.AggFunc):
            aggregate = True
        elif isinstance(node, _CASTS):
            cast = True
        elif isinstance(node, exp.Dot) and child is node.this:
            pass  # a nested field path: address.city is still the field itself
        elif not isinstance(node, _TRANSPARENT):
            computed = True
        child, node = node, node.parent
    if filtered:
        return "filter"
    if aggregate:
        return "aggregate"
    if computed:
        return "expression"
    return "cast" if cast else "direct"


def in_window_spec(column: exp.Column, root: exp.Expr) -> bool:
    """True when `column` sits in a window's PARTITION BY or ORDER BY under `root`."""
    child: exp.Expr = column
    node = column.parent
    while node is not None and child is not root:
        if isinstance(node, exp.Window) and child is not node.this:
            return True
        child, node = node, node.parent
    return False


def _column_path(column: exp.Column) -> list[str]:
    """The column's name plus the nested fields read from it (o.address.city -> address, city)."""
    path = [name_of(column.this)]
    node: exp.Expr = column
    while isinstance(node.parent, exp.Dot) and node.parent.this is node:
        path.append(name_of(node.parent.expression))
        node = node.parent
    return path


class ScopeWalker:
    """Resolves output columns of a qualified query to physical table columns, with kinds."""

    def __init__(self, schema: MappingSchema | None = None) -> None:
        self.schema = schema
        self._memo: dict[tuple[int, str | int], frozenset[Dep]] = {}
        self._rows: dict[int, frozenset[Dep]] = {}
        self.unresolved: set[str] = set()

    def column(self, scope: Scope, key: str | int) -> frozenset[Dep]:
        """Sources of one output column of `scope`, by name or position."""
        memo_key = (id(scope), key)
        if memo_key in self._memo:
            return self._memo[memo_key]
        self._memo[memo_key] = frozenset()  # a recursive CTE reaching itself adds nothing
        result = frozenset(self._column(scope, key))
        self._memo[memo_key] = result
        return result

    def _column(self, scope: Scope, key: str | int) -> set[Dep]:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            index = key if isinstance(key, int) else _index_of(expression, key)
            if index is None:
                return set()
            return {d for branch in scope.set_operation_scopes for d in self.column(branch, index)}
        if isinstance(expression, exp.Subquery) and scope.subquery_scopes:
            return set(self.column(scope.subquery_scopes[0], key))
        if not isinstance(expression, exp.Select):
            return set()
        select = _select_of(expression, key)
        deps = set(self.rows(scope))
        if select is None:
            if expression.is_star and isinstance(key, str):
                deps |= self._star_passthrough(scope, key)
            elif isinstance(key, str):  # a subquery read for a column it does not select
                self.unresolved.add(key)
                deps.add((UNRESOLVED, key, "direct"))
            return deps
        if isinstance(select, exp.Star) or isinstance(select.args.get("this"), exp.Star):
            # A star no schema could expand: every column of its sources, as `table.*`.
            table = select.args.get("table") if isinstance(select, exp.Column) else None
            for alias in [table.name] if table else list(scope.selected_sources):
                deps |= self._resolve_path(scope, alias, ["*"])
            return deps
        return deps | self.expression(scope, select, None)

    def expression(self, scope: Scope, root: exp.Expr, kind: EdgeKind | None) -> set[Dep]:
        """Sources of every column under `root`, with `kind` or the kind each column plays."""
        deps: set[Dep] = set()
        for column in find_all_in_scope(root, exp.Column):
            outer = kind or value_kind(column, root)
            sources = self._resolve(scope, column)
            deps |= {(t, c, compose(outer, k)) for t, c, k in sources}
            if kind is None and in_window_spec(column, root):
                deps |= {(t, c, compose("window", k)) for t, c, k in sources}
        if kind is None:
            for star in find_all_in_scope(root, exp.Star):
                if isinstance(star.parent, exp.AggFunc):  # count(*) reads every row
                    for _, source in scope.selected_sources.values():
                        if isinstance(source, exp.Table):
                            deps.add((table_name(source), "*", "aggregate"))
        children = {id(s.expression): s for s in scope.subquery_scopes}
        for query in find_all_in_scope(root, *exp.UNWRAPPED_QUERIES):
            child = children.get(id(query))
            if child is None:
                continue
            outer = kind or "expression"
            for index in range(len(query.selects)):
                deps |= {(t, c, compose(outer, k)) for t, c, k in self.column(child, index)}
            deps |= {(t, c, compose(outer, k)) for t, c, k in self.rows(child)}
        return deps

    def rows(self, scope: Scope) -> frozenset[Dep]:
        """Columns that decide which rows `scope` yields: filters, join keys, groupings."""
        if id(scope) in self._rows:
            return self._rows[id(scope)]
        self._rows[id(scope)] = frozenset()
        result = frozenset(self._row_deps(scope))
        self._rows[id(scope)] = result
        return result

    def _row_deps(self, scope: Scope) -> set[Dep]:
        expression = scope.expression
        if isinstance(expression, exp.SetOperation):
            return {d for branch in scope.set_operation_scopes for d in self.rows(branch)}
        if isinstance(expression, exp.Subquery) and scope.subquery_scopes:
            return set(self.rows(scope.subquery_scopes[0]))
        if not isinstance(expression, exp.Select):
            return set()
        deps: set[Dep] = set()
        for arg, kind in (("where", "filter"), ("having", "filter"), ("qualify", "filter")):
            if clause := expression.args.get(arg):
                deps |= self.expression(scope, clause, kind)  # type: ignore[arg-type]
        if group := expression.args.get("group"):
            deps |= self.expression(scope, group, "group_by")
        for join in expression.args.get("joins") or []:
            if on := join.args.get("on"):
                deps |= self.expression(scope, on, "join")
            for identifier in join.args.get("using") or []:
                deps |= self._using(scope, name_of(identifier))
        for _, source in scope.selected_sources.values():
            if isinstance(source, Scope):
                deps |= self.rows(source)
        return deps

    def _using(self, scope: Scope, name: str) -> set[Dep]:
        deps: set[Dep] = set()
        for alias in scope.selected_sources:
            deps |= {(t, c, "join") for t, c, _ in self._resolve_path(scope, alias, [name])}
        return deps

    def _resolve(self, scope: Scope, column: exp.Column) -> set[Dep]:
        path = _column_path(column)
        parts = [p.name for p in column.parts[:-1]]
        alias = parts[-1] if parts else ""
        if alias:
            owner = _owner(scope, alias)
            if owner is not None:
                return self._resolve_path(owner, alias, path)
            # Unqualified nested access (address.city) parses as table "address": a field path.
            path, alias = [*(name_of(p) for p in column.parts[:-1]), *path], ""
        selected = [key for key in scope.selected_sources if key]
        if not selected:
            if scope.parent is not None:  # (SELECT a + b) without FROM: the outer query's
                return self._resolve(scope.parent, column)
            return set()  # no FROM at all: a variable or pseudo-column (@@ROWCOUNT), no table
        provider = self._provider(scope, selected, path[0])
        if provider is None:
            self.unresolved.add(".".join(path))
            return {(UNRESOLVED, ".".join(path), "direct")}
        return self._resolve_path(scope, provider, path)

    def _provider(self, scope: Scope, selected: list[str], name: str) -> str | None:
        """The one selected source that can hold column `name`; None when it is ambiguous."""
        if len(selected) == 1:
            return selected[0]
        possible: list[str] = []
        for alias in selected:
            source = scope.selected_sources[alias][1]
            known = self._known_columns(source)
            if known is None or name in known:
                possible.append(alias)
        return possible[0] if len(possible) == 1 else None

    def _known_columns(self, source: exp.Expr | Scope) -> set[str] | None:
        """The columns a source has, or None when no schema tells."""
        if isinstance(source, Scope):
            query = source.expression
            if not isinstance(query, exp.Query) or query.is_star:
                return None
            return set(output_names(query))
        if self.schema is None or not isinstance(source, exp.Table):
            return None
        try:
            names = self.schema.column_names(source)
        except SchemaError:
            return None
        return {name_of(n) for n in names} or None

    def _resolve_path(self, scope: Scope, alias: str, path: list[str]) -> set[Dep]:
        source = scope.sources.get(alias)
        if source is None:  # `tab2.*` over `FROM tab2 a`: the table named, not its alias
            named = [
                s
                for _, s in scope.selected_sources.values()
                if isinstance(s, exp.Table) and s.name == alias
            ]
            source = named[0] if len(named) == 1 else None
        if isinstance(source, exp.Table):
            return {(table_name(source), ".".join(path), "direct")}
        if isinstance(source, Scope):
            deps = self.column(source, path[0])
            rest = path[1:]
            if not rest:
                return set(deps)
            return {(t, f"{c}.{'.'.join(rest)}" if k == "direct" else c, k) for t, c, k in deps}
        self.unresolved.add(f"{alias}.{'.'.join(path)}")
        return {(UNRESOLVED, ".".join(path), "direct")}

    def _star_passthrough(self, scope: Scope, name: str) -> set[Dep]:
        # SELECT * over a source without a known schema: the name can only come from a source.
        deps: set[Dep] = set()
        for alias in scope.selected_sources:
            deps |= self._resolve_path(scope, alias, [name])
        return deps


def _owner(scope: Scope, alias: str) -> Scope | None:
    """The scope whose sources define `alias`: this one, or an outer one (a correlated subquery)."""
    current: Scope | None = scope
    while current is not None:
        if alias in current.sources:
            return current
        current = current.parent
    return None


def _index_of(expression: exp.Query, name: str) -> int | None:
    for index, select in enumerate(expression.selects):
        if name_of(select.args.get("alias") or select) == name or select.alias_or_name == name:
            return index
    return None


def _select_of(expression: exp.Select, key: str | int) -> exp.Expr | None:
    if isinstance(key, int):
        return expression.selects[key] if key < len(expression.selects) else None
    index = _index_of(expression, key)
    return None if index is None else expression.selects[index]


def output_names(query: exp.Expr) -> list[str]:
    """The names of a qualified query's output columns, in order."""
    selects: Iterable[exp.Expr] = query.selects if isinstance(query, exp.Query) else []
    return [_output_name(s) for s in selects]


def _output_name(select: exp.Expr) -> str:
    if isinstance(select, exp.Alias):
        return name_of(select.args["alias"])
    if isinstance(select, exp.Column):
        return name_of(select.this)
    return select.alias_or_name.lower()
