"""Rewrite the SQL models that read a topic so they read the new events through a schema mapping.

Mapping targets are SQL over the new event, written in DuckDB SQL by default (as
tools.healing.mapping writes them); they are spliced into each model's tree and generated
in the pipeline's dialect.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.contracts import Contract, Pipeline
from core.errors import ToolError
from core.models import ModelPatch, SchemaMapping
from tools.sql.column_refs import (
    Reference,
    dataset_aliases,
    dataset_references,
    reads_star,
    scopes_by_expression,
)
from tools.sql.model_graph import build_graph, parse_model

Rewrite = Callable[[exp.Expr], exp.Expr]


def parse_target(target: str, dialect: str = "duckdb") -> exp.Expr:
    """A mapping target (field name, dotted path or SQL expression) as a tree.

    >>> parse_target("address.city").sql()
    'address.city'
    """
    try:
        tree = sqlglot.parse_one(target, read=dialect)
    except SqlglotError as error:
        raise ToolError(f"mapping target {target!r} is not a {dialect} SQL expression") from error
    if isinstance(tree, exp.Query | exp.DDL | exp.DML) or tree.find(exp.Query):
        raise ToolError(f"mapping target {target!r} must be an expression, not a statement")
    return tree


def column_from_parts(parts: Sequence[exp.Identifier]) -> exp.Expr:
    """A column (or a chain of struct accesses) reading `parts` in order."""
    if not parts:
        raise ToolError("a column needs at least one name part")
    head = [p.copy() for p in parts[:4]]
    keys = ("catalog", "db", "table", "this")[4 - len(head) :]
    node: exp.Expr = exp.Column(**dict(zip(keys, head, strict=True)))
    for part in parts[4:]:
        node = exp.Dot(this=node, expression=part.copy())
    return node


def _identifier(part: exp.Expr) -> exp.Identifier:
    return exp.to_identifier(part.name, quoted=bool(part.args.get("quoted")))


def _identifiers(node: exp.Expr) -> list[exp.Identifier]:
    tail: list[exp.Identifier] = []
    while isinstance(node, exp.Dot):
        tail.insert(0, exp.to_identifier(node.expression.name))
        node = node.this
    head = [_identifier(p) for p in node.parts] if isinstance(node, exp.Column) else []
    return [*head, *tail]


def _qualified(target: exp.Expr, qualifier: exp.Identifier | None) -> exp.Expr:
    tree = target.copy()
    if qualifier is None:
        return tree
    if isinstance(tree, exp.Column | exp.Dot):
        return column_from_parts([qualifier, *_identifiers(tree)])
    for column in list(tree.find_all(exp.Column)):
        top: exp.Expr = column
        while isinstance(top.parent, exp.Dot) and top.parent.this is top:
            top = top.parent
        top.replace(column_from_parts([qualifier, *_identifiers(top)]))
    return tree


def _match(path: tuple[str, ...], sources: dict[str, tuple[str, ...]]) -> str | None:
    # SQL engines fold unquoted identifiers (Snowflake to upper case): match without case
    lowered = tuple(p.lower() for p in path)
    best = None
    for source, parts in sources.items():
        if lowered[: len(parts)] == parts and (best is None or len(parts) > len(sources[best])):
            best = source
    return best


def _output_name(node: exp.Expr) -> str | None:
    parent = node.parent
    if isinstance(parent, exp.Select) and node.arg_key == "expressions":
        return node.alias_or_name if isinstance(node, exp.Column) else _identifiers(node)[-1].name
    return None


def _replacement(ref: Reference, target: exp.Expr, rest: tuple[str, ...]) -> exp.Expr:
    qualifier = ref.qualifier
    if qualifier is None and ref.scope_sources > 1:
        qualifier = exp.to_identifier(ref.alias)
    new = _qualified(target, qualifier)
    if rest:
        if not isinstance(new, exp.Column | exp.Dot):
            raise ToolError(f"cannot read {'.'.join(rest)!r} out of expression {target.sql()!r}")
        new = column_from_parts([*_identifiers(new), *(exp.to_identifier(r) for r in rest)])
    return new


_ATOMIC = (exp.Column, exp.Dot, exp.Func, exp.Literal, exp.Null, exp.Boolean, exp.Paren, exp.Alias)
_DELIMITED = (exp.Select, exp.Alias, exp.Paren, exp.Func, exp.Tuple, exp.Ordered, exp.Where)


def _parenthesized(new: exp.Expr, parent: exp.Expr | None) -> exp.Expr:
    """`new` in parentheses where an operator around it would otherwise bind differently."""
    if isinstance(new, _ATOMIC) or parent is None or isinstance(parent, _DELIMITED):
        return new
    return exp.Paren(this=new)


def _formats_timestamps(target: exp.Expr) -> exp.Expr:
    # sqlglot writes BigQuery FORMAT_DATE (dropping the time) unless told the value is a timestamp
    for node in list(target.find_all(exp.TimeToStr)):
        if not isinstance(node.this, exp.TsOrDsToTimestamp | exp.TsOrDsToDate):
            node.set("this", exp.TsOrDsToTimestamp(this=node.this))
    return target


_FORMAT_PARTS = re.compile(r"%.|[^%]+")


def _format_pieces(fmt: str) -> list[tuple[str, bool]]:
    """`fmt` cut into runs that are formats (specifiers and punctuation) or literal letters.

    >>> _format_pieces("%Y-%m-%dT%H:%M:%S.%gZ")
    [('%Y-%m-%d', True), ('T', False), ('%H:%M:%S.%g', True), ('Z', False)]
    """
    pieces: list[tuple[str, bool]] = []
    for part in _FORMAT_PARTS.findall(fmt):
        runs = [part] if part.startswith("%") else re.findall(r"[A-Za-z]+|[^A-Za-z]+", part)
        for run in runs:
            is_format = run.startswith("%") or not run[0].isalpha()
            if pieces and pieces[-1][1] == is_format:
                pieces[-1] = (pieces[-1][0] + run, is_format)
            else:
                pieces.append((run, is_format))
    return pieces


def _formats_without_letters(target: exp.Expr) -> exp.Expr:
    """Literal letters of a time format (the `T` and `Z` of ISO text) written as strings joined
    to the formatted parts: in Spark's patterns letters are fields (`Z` is the zone offset, and
    a bare `T` is refused), so `'%Y-%m-%dT%H:%M:%SZ'` would lose the literal `Z`."""
    for node in list(target.find_all(exp.TimeToStr)):
        fmt = node.args.get("format")
        if not isinstance(fmt, exp.Literal) or not fmt.is_string:
            continue
        pieces = _format_pieces(fmt.this)
        if all(is_format for _, is_format in pieces):
            continue
        parts: list[exp.Expr] = [
            exp.TimeToStr(this=node.this.copy(), format=exp.Literal.string(text))
            if is_format
            else exp.Literal.string(text)
            for text, is_format in pieces
        ]
        joined = parts[0]
        for part in parts[1:]:
            joined = exp.DPipe(this=joined, expression=part, safe=True)
        node.replace(exp.Paren(this=joined) if node.parent is not None else joined)
        if node is target:
            target = joined
    return target


TARGET_FIXUPS: dict[str, tuple[Rewrite, ...]] = {
    "bigquery": (_formats_timestamps,),
    **dict.fromkeys(("spark", "spark2", "databricks", "hive"), (_formats_without_letters,)),
}
"""Per output dialect: rewrites of mapping targets so sqlglot writes them faithfully."""


def replace_fields(
    dataset: str, mapping: SchemaMapping, target_dialect: str = "duckdb", dialect: str = "duckdb"
) -> Rewrite:
    """A rewrite replacing each reference to a mapped field of `dataset` by its target.

    A bare projection keeps its output name: `cust_id` becomes `customer_id AS cust_id`.
    Targets are read in `target_dialect`; the tree will be written in `dialect`.
    """
    targets: dict[str, exp.Expr] = {}
    for entry in mapping.entries:
        if entry.source != entry.target:
            target = parse_target(entry.target, target_dialect)
            for fixup in TARGET_FIXUPS.get(dialect, ()):
                target = fixup(target)
            targets[entry.source] = target
    sources = {s: tuple(s.lower().split(".")) for s in targets}

    def rewrite(tree: exp.Expr) -> exp.Expr:
        tree = tree.copy()
        for ref in dataset_references(tree, dataset):
            source = _match(ref.path, sources)
            if source is None:
                continue
            new = _replacement(ref, targets[source], ref.path[len(sources[source]) :])
            name = _output_name(ref.node)
            plain = _identifiers(new)[-1].name if isinstance(new, exp.Column | exp.Dot) else None
            if name is not None and plain != name:
                new = exp.alias_(new, name, quoted=ref.node.find(exp.Identifier).quoted)  # type: ignore[union-attr]
            new = _parenthesized(new, ref.node.parent)
            _record_splice(tree, ref.node, new)
            ref.node.replace(new)
        return tree

    return rewrite


_SPLICES = "suture_splices"


def _source_span(node: exp.Expr) -> tuple[int, int] | None:
    """Where `node` stood in the text it was parsed from (end exclusive), from its tokens."""
    starts: list[int] = []
    ends: list[int] = []
    for identifier in node.find_all(exp.Identifier):
        start, end = identifier.meta.get("start"), identifier.meta.get("end")
        if not isinstance(start, int) or not isinstance(end, int):
            return None
        starts.append(start)
        ends.append(end)
    return (min(starts), max(ends) + 1) if starts else None


def _record_splice(tree: exp.Expr, old: exp.Expr, new: exp.Expr) -> None:
    """Remember that `old` (still carrying its source position) became `new`."""
    span = _source_span(old)
    tree.meta.setdefault(_SPLICES, []).append((span, new))


@dataclass(frozen=True)
class _Expanded:
    """A star that became projections [start, start + count) of the tree's select number `select`;
    their text is taken from the finished tree, after later rewrites changed them."""

    select: int
    start: int
    count: int


def _star_span(projection: exp.Expr) -> tuple[int, int] | None:
    """Where `*` or `alias.*` stood in the text it was parsed from (end exclusive)."""
    star = projection if isinstance(projection, exp.Star) else projection.this
    first = projection.args.get("table") if isinstance(projection, exp.Column) else star
    start = first.meta.get("start") if first is not None else None
    end = star.meta.get("end") if isinstance(star, exp.Star) else None
    return (start, end + 1) if isinstance(start, int) and isinstance(end, int) else None


def _splice_text(patched: exp.Expr, new: exp.Expr | _Expanded, dialect: str) -> str:
    if isinstance(new, exp.Expr):
        return new.sql(dialect=dialect)
    select = list(patched.find_all(exp.Select))[new.select]
    projections = select.expressions[new.start : new.start + new.count]
    return ", ".join(p.sql(dialect=dialect) for p in projections)


def minimal_text(original: str, patched: exp.Expr, dialect: str) -> str | None:
    r"""The original text with only the replaced references rewritten, so a reviewer's diff shows
    just what changed; None when that text would not parse back to exactly `patched`.

    >>> sql = "select\n  cust_id,  -- the buyer\n  n\nfrom orders"
    >>> mapping = SchemaMapping.model_validate(
    ...     {"entries": [{"source": "cust_id", "target": "customer_id"}]})
    >>> patched = replace_fields("orders", mapping)(sqlglot.parse_one(sql))
    >>> print(minimal_text(sql, patched, "duckdb"))
    select
      customer_id AS cust_id,  -- the buyer
      n
    from orders
    """
    splices = patched.meta.get(_SPLICES) or []
    expanded = any(isinstance(new, _Expanded) for _, new in splices)
    if expanded:  # changes inside expanded stars come with the star's text; the check below
        splices = [(span, new) for span, new in splices if span is not None]  # guards the rest
    if not splices or any(span is None for span, _ in splices):
        return None
    ordered = sorted(splices, key=lambda item: item[0][0], reverse=True)
    text, last_start = original, len(original) + 1
    for (start, end), new in ordered:
        if end > last_start or original[start:end].strip() == "":
            return None  # overlapping or empty spans: let the tree speak for itself
        text = text[:start] + _splice_text(patched, new, dialect) + text[end:]
        last_start = start
    try:
        reparsed = sqlglot.parse_one(text, read=dialect)
    except SqlglotError:
        return None
    same = reparsed.sql(dialect=dialect, comments=False) == patched.sql(
        dialect=dialect, comments=False
    )
    return text if same else None


def _star_fields(star: exp.Expr, fields: Sequence[str]) -> list[str]:
    if star.args.get("replace") or star.args.get("rename"):
        raise ToolError("cannot expand a star with REPLACE or RENAME; list the columns instead")
    excluded = {c.name for c in star.args.get("except_") or star.args.get("except") or []}
    return [f for f in fields if f not in excluded]


def expand_stars(dataset: str, fields: Sequence[str]) -> Rewrite:
    """A rewrite listing `fields` in place of `*` / `alias.*` over `dataset`, so names survive."""
    top_level = list(dict.fromkeys(f.split(".")[0] for f in fields))

    def rewrite(tree: exp.Expr) -> exp.Expr:
        tree = tree.copy()
        selects = list(tree.find_all(exp.Select))
        for scope in scopes_by_expression(tree).values():
            select = scope.expression
            aliases = dataset_aliases(scope, dataset)
            if not isinstance(select, exp.Select) or not aliases:
                continue
            expanded: list[exp.Expr] = []
            for projection in select.expressions:
                star = projection if isinstance(projection, exp.Star) else projection.this
                if isinstance(projection, exp.Star) and len(scope.sources) > 1:
                    raise ToolError(f"`*` over a join with {dataset!r}: qualify it as alias.*")
                qualifier = projection.args.get("table")
                if isinstance(projection, exp.Star) or (
                    isinstance(star, exp.Star)
                    and qualifier is not None
                    and qualifier.name in aliases
                ):
                    parts = [qualifier] if qualifier is not None else []
                    columns = [
                        column_from_parts([*parts, exp.to_identifier(f)])
                        for f in _star_fields(star, top_level)
                    ]
                    index = next(i for i, found in enumerate(selects) if found is select)
                    where = _Expanded(index, len(expanded), len(columns))
                    tree.meta.setdefault(_SPLICES, []).append((_star_span(projection), where))
                    expanded.extend(columns)
                else:
                    expanded.append(projection)
            select.set("expressions", expanded)
        return tree

    return rewrite


def default_rewrites(
    dataset: str,
    mapping: SchemaMapping,
    contract: Contract | None = None,
    target_dialect: str = "duckdb",
    dialect: str = "duckdb",
) -> tuple[Rewrite, ...]:
    """The rewrites apply_mapping runs, in order: expand stars (with a contract), replace fields."""
    stars = (expand_stars(dataset, contract.field_names),) if contract is not None else ()
    return (*stars, replace_fields(dataset, mapping, target_dialect, dialect))


def apply_mapping(
    pipeline: Pipeline,
    dataset: str,
    mapping: SchemaMapping,
    contract: Contract | None = None,
    rewrites: Sequence[Rewrite] | None = None,
) -> list[ModelPatch]:
    """Patches for every model reading table `dataset` whose SQL the mapping changes."""
    graph = build_graph(pipeline, {dataset})
    steps = (
        tuple(rewrites)
        if rewrites is not None
        else default_rewrites(dataset, mapping, contract, dialect=pipeline.dialect)
    )
    patches: list[ModelPatch] = []
    for model in graph.models_reading(dataset):
        tree = parse_model(pipeline.models[model], pipeline.dialect, model)
        if contract is None and rewrites is None and mapping.entries and reads_star(tree, dataset):
            raise ToolError(
                f"model {model!r} selects * from {dataset!r}; pass the contract so the star "
                "can be expanded and output names kept"
            )
        patched = tree.copy()
        for step in steps:
            patched = step(patched)
        if patched == tree:
            continue
        after = minimal_text(pipeline.models[model], patched, pipeline.dialect) or patched.sql(
            dialect=pipeline.dialect, pretty=True
        )
        patches.append(
            ModelPatch(
                model=model,
                dialect=pipeline.dialect,
                before_sql=pipeline.models[model],
                after_sql=after,
            )
        )
    return patches


def render_diff(patches: Sequence[ModelPatch]) -> str:
    """A unified diff of every patch's file (its Jinja for a dbt model), for the pull request."""
    chunks: list[str] = []
    for patch in patches:
        name = patch.path or f"models/{patch.model}.sql"
        before = patch.template_before if patch.template_before is not None else patch.before_sql
        chunks.extend(
            difflib.unified_diff(
                before.strip().splitlines(keepends=False),
                patch.file_text.strip().splitlines(keepends=False),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
                lineterm="",
            )
        )
    return "\n".join(chunks) + ("\n" if chunks else "")
