"""Guardrail `structure_preserved`: a schema fix only substitutes column references.

Every clause, operator, literal and output of the model stays as it was; each column may be
replaced by an expression over the new events, the same one wherever it appears in a scope.
Filters dropped, CASE branches removed, a sort key swapped for another column: all blocked.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.contracts import Pipeline
from core.models import ModelPatch, Verdict
from guardrails.recipes import recipe_made
from guardrails.registry import PatchReview, guardrail
from tools.healing.recipes import without_recipe
from tools.sql.column_refs import dataset_references
from tools.sql.patch import column_from_parts

Substitutions = dict[tuple[int, str], set[str]]


def _is_column(node: exp.Expr) -> bool:
    while isinstance(node, exp.Dot):
        node = node.this
    return isinstance(node, exp.Column) and not isinstance(node.this, exp.Star)


def _empty(value: object) -> bool:
    return value is None or value is False or value == []


def _has_star(select: exp.Select) -> bool:
    return any(isinstance(p, exp.Star) or isinstance(p.this, exp.Star) for p in select.expressions)


class _Aligner:
    """Walks the original and the patched tree in step, recording column substitutions."""

    def __init__(self, original: exp.Expr, dialect: str) -> None:
        self.dialect = dialect
        self.scopes = {id(s): i for i, s in enumerate(original.find_all(exp.Select))}
        self.substitutions: Substitutions = {}
        self.pairs: list[tuple[exp.Expr, exp.Expr]] = []

    def _scope(self, node: exp.Expr) -> int:
        current: exp.Expr | None = node
        while current is not None and id(current) not in self.scopes:
            current = current.parent
        return self.scopes[id(current)] if current is not None else -1

    def align(self, a: exp.Expr, b: exp.Expr) -> str | None:
        """Why `b` is not `a` with columns substituted, or None."""
        if _is_column(a):
            target = b.this if isinstance(b, exp.Alias) else b
            key = (self._scope(a), a.sql(dialect=self.dialect).lower())
            self.substitutions.setdefault(key, set()).add(target.sql(dialect=self.dialect))
            self.pairs.append((a, target))
            return None
        if isinstance(a, exp.Alias) and not isinstance(b, exp.Alias) and _is_column(a.this):
            if b.alias_or_name.lower() != a.alias.lower():
                return f"output {a.alias!r} became {b.alias_or_name!r}"
            return self.align(a.this, b)  # `x AS name` written as a bare `name`
        if type(a) is not type(b):
            return f"`{a.sql(dialect=self.dialect)}` became `{b.sql(dialect=self.dialect)}`"
        if isinstance(a, exp.Identifier):
            same = a.name.lower() == b.name.lower()
            return None if same else f"name {a.name!r} became {b.name!r}"
        for name in sorted(set(a.args) | set(b.args)):
            if name.startswith("_") or (
                name == "expressions" and isinstance(a, exp.Select) and _has_star(a)
            ):
                continue  # a star's expansion is compared by the replay gate
            problem = self._values(a, a.args.get(name), b.args.get(name))
            if problem:
                return problem
        return None

    def _values(self, parent: exp.Expr, x: object, y: object) -> str | None:
        if _empty(x) and _empty(y):
            return None
        if isinstance(x, list) or isinstance(y, list):
            xs = x if isinstance(x, list) else [x]
            ys = y if isinstance(y, list) else [y]
            if len(xs) != len(ys):
                return f"`{parent.sql(dialect=self.dialect)}` lost or gained parts"
            return next(
                (p for p in (self._values(parent, i, j) for i, j in zip(xs, ys, strict=True)) if p),
                None,
            )
        if isinstance(x, exp.Expr) and isinstance(y, exp.Expr):
            return self.align(x, y)
        if isinstance(x, exp.Expr) or isinstance(y, exp.Expr) or x != y:
            return f"`{parent.sql(dialect=self.dialect)}` changed"
        return None


def _regenerated(sql: str, dialect: str) -> exp.Expr:
    return sqlglot.parse_one(
        sqlglot.parse_one(sql, read=dialect).sql(dialect=dialect), read=dialect
    )


def _aligned(
    before_sql: str, after_sql: str, dialect: str
) -> tuple[_Aligner, exp.Expr, str | None]:
    # regenerate both the same way, so both read the dialect alike (a patch may keep the
    # model's own text, or be the tree written afresh)
    before = _regenerated(before_sql, dialect)
    after = _regenerated(after_sql, dialect)
    aligner = _Aligner(before, dialect)
    return aligner, before, aligner.align(before, after)


def _unqualified(target: exp.Expr, qualifier: str | None) -> exp.Expr:
    tree = target.copy()
    for column in list(tree.find_all(exp.Column)):
        parts = column.parts
        if qualifier and len(parts) > 1 and parts[0].name == qualifier:
            bare = column_from_parts([exp.to_identifier(p.name) for p in parts[1:]])
            if column is tree:
                return bare
            column.replace(bare)
    return tree


def field_substitutions(
    before_sql: str, after_sql: str, dialect: str, dataset: str
) -> dict[str, set[str]]:
    """Field of `dataset` -> the DuckDB expressions the patch reads it with instead (if aligned).

    >>> field_substitutions("select a from t", "select b + 1 as a from t", "duckdb", "t")
    {'a': {'b + 1'}}
    """
    try:
        aligner, before, problem = _aligned(before_sql, after_sql, dialect)
    except SqlglotError:
        return {}
    if problem:
        return {}
    references = {id(r.node): r for r in dataset_references(before, dataset)}
    found: dict[str, set[str]] = {}
    for column, target in aligner.pairs:
        reference = references.get(id(column))
        if reference is None:
            continue
        qualifier = reference.qualifier.name if reference.qualifier else None
        plain = _unqualified(target, qualifier)
        path = ".".join(reference.path)
        if not (_is_column(plain) and plain.sql(dialect="duckdb").replace('"', "") == path):
            found.setdefault(path, set()).add(plain.sql(dialect="duckdb"))
    return found


def read_paths(target: str) -> set[str]:
    """Dotted field paths a DuckDB expression reads.

    >>> sorted(read_paths("coalesce(a.b, c) * 100"))
    ['a.b', 'c']
    """
    try:
        tree = sqlglot.parse_one(target, read="duckdb")
    except SqlglotError:
        return set()
    return {".".join(p.name for p in c.parts) for c in tree.find_all(exp.Column)}


def vanished_substitutions(
    pipeline: Pipeline, patches: Sequence[ModelPatch], dataset: str, vanished: set[str]
) -> Iterator[tuple[str, dict[str, set[str]]]]:
    """(model, field -> substitute expressions) for each patched model of `pipeline`, keeping
    only the fields in `vanished`; a model whose patch substitutes none of them is left out."""
    for patch in patches:
        original = pipeline.models.get(patch.model)
        if original is None:
            continue
        found = field_substitutions(original, patch.after_sql, pipeline.dialect, dataset)
        kept = {f: t for f, t in found.items() if f in vanished}
        if kept:
            yield patch.model, kept


def compare(before_sql: str, after_sql: str, dialect: str) -> str | None:
    """Why `after_sql` is more than `before_sql` with columns substituted, or None.

    >>> compare("select a from t where b > 1", "select x as a from t where y > 1", "duckdb")
    >>> compare("select a from t where b > 1", "select a from t", "duckdb")
    '`SELECT a FROM t WHERE b > 1` changed'
    """
    try:
        aligner, _, problem = _aligned(before_sql, after_sql, dialect)
    except SqlglotError as error:
        return f"does not parse: {error}"
    if problem:
        return problem
    kept = {
        c
        for (_, c), targets in aligner.substitutions.items()
        if {t.lower() for t in targets} == {c}
    }
    for (_, column), targets in sorted(aligner.substitutions.items()):
        if len(targets) > 1:
            return f"{column} is replaced by different expressions: {sorted(targets)}"
        (target,) = targets
        if target.lower() != column and target.lower() in kept:
            return f"{column} is swapped for {target}, which the model already reads as itself"
    return None


@guardrail
def structure_preserved(review: PatchReview) -> Verdict:
    """A fix only substitutes columns: clauses, operators, literals and filters stay as is."""
    for patch in review.patches:
        before = review.pipeline.models.get(patch.model)
        if before is None:
            continue  # touches_only_affected_models refuses unknown models
        after = patch.after_sql
        if patch.recipe is not None:  # a recipe may restructure, but only its own way
            made = recipe_made(patch, before)
            if not made:
                continue
            # A recipe on top of substitutions: the recipe exactly, the rest as substitutions.
            unwrapped = without_recipe(after, patch.dialect, patch.recipe)
            if unwrapped is None:
                return Verdict.block(f"model {patch.model!r}: {made}")
            after = unwrapped
        problem = compare(before, after, review.pipeline.dialect)
        if problem:
            return Verdict.block(
                f"model {patch.model!r}: {problem}; a schema fix may only replace column "
                "references, so propose logic changes to a human instead"
            )
    return Verdict.allow()
