"""Patch recipes beyond column substitution, each gated on evidence in the events.

- dedup_on_key: the events repeat a declared key and every repeat is a redelivery (the same
  payload apart from delivery metadata): the models reading the topic keep one row per key.
- restore_zero_value: a producer started omitting a field exactly when it held its zero value
  (`false`, `0`, `""`, as omit-empty serializers do): the field reads `coalesce(field, zero)`.

Each recipe is a pure function of the model's SQL and its arguments, so validation re-derives
the patch and refuses any other (guardrails.recipes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import JsonValue
from sqlglot import exp

from core.contracts import Contract, Pipeline
from core.errors import ToolError
from core.models import ModelPatch, Recipe
from tools.matching.samples import Events, values
from tools.sql.model_graph import build_graph, parse_model, table_name

ROW_NUMBER = "_suture_row"
ZEROS: tuple[JsonValue, ...] = (False, 0, 0.0, "")
"""The values omit-empty serializers leave out."""


def _value_at(event: Mapping[str, object], path: str) -> object:
    value: object = event
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def redelivered(events: Events, key: str, metadata: Sequence[str] = ()) -> tuple[bool, str]:
    """Whether every repeat of `key` is a redelivery, and why not when it is not.

    >>> redelivered([{"k": 1, "a": 2, "at": 5}, {"k": 1, "a": 2, "at": 9}], "k", ["at"])
    (True, '1 keys sent again with the same payload')
    >>> redelivered([{"k": 1, "a": 2}, {"k": 1, "a": 3}], "k")[0]
    False
    """
    seen: dict[str, dict[str, object]] = {}
    repeated: set[str] = set()
    for event in events:
        identity = repr(_value_at(event, key))
        payload = {k: v for k, v in event.items() if k not in metadata}
        first = seen.setdefault(identity, payload)
        if first is payload:
            continue
        repeated.add(identity)
        if first != payload:
            return False, f"key {identity} carries conflicting payloads"
    if not repeated:
        return False, f"no value of {key} repeats"
    return True, f"{len(repeated)} keys sent again with the same payload"


def delivery_metadata(contract: Contract, events: Events) -> list[str]:
    """Top-level fields that describe a delivery, not the entity: arrival stamps, undeclared."""
    declared = {name.split(".")[0] for name in contract.field_names}
    found = {k for e in events for k in e if k not in declared}
    if contract.arrival_time is not None:
        found.add(contract.arrival_time.split(".")[0])
    return sorted(found)


def dedup_recipe(contract: Contract, events: Events) -> Recipe | str:
    """The dedup recipe for `events`, or why none applies (escalate instead)."""
    keys = [contract.key] if contract.key else []
    keys += [f.name for f in contract.fields if f.unique and f.name not in keys]
    if not keys:
        return "nothing is declared unique: a repeat cannot be told from a second entity"
    metadata = delivery_metadata(contract, events)
    key = keys[0]
    ok, why = redelivered(events, key, metadata)
    if not ok:
        return why
    columns = sorted(
        {k for e in events for k in e} | {n.split(".")[0] for n in contract.field_names}
    )
    order = contract.arrival_time or contract.event_time
    if order and not any(_value_at(e, order) is not None for e in events):
        # without the field that orders the repeats, only exact copies may be collapsed (any of
        # them is the same row); a renamed event time reads as undeclared metadata above, so
        # repeats that differ in it are no redeliveries
        if contract.arrival_time is not None or not redelivered(events, key)[0]:
            return f"the events no longer carry {order!r}, which orders the repeats of a key"
        order = None
    return Recipe(
        kind="dedup_on_key",
        dataset=contract.dataset,
        key=key,
        columns=columns,
        order_by=order.split(".")[0] if order else None,
    )


def _deduplicated(recipe: Recipe, alias: str) -> exp.Expr:
    """`(SELECT columns FROM (SELECT *, row_number() ...) WHERE row = 1) AS alias`."""
    order = exp.column(recipe.order_by or recipe.key)
    numbered = exp.Window(
        this=exp.RowNumber(),
        partition_by=[exp.column(recipe.key)],
        order=exp.Order(expressions=[exp.Ordered(this=order)]),
    )
    inner = exp.select(exp.Star(), exp.alias_(numbered, ROW_NUMBER)).from_(
        exp.to_table(recipe.dataset)
    )
    outer = (
        exp.select(*[exp.column(c) for c in recipe.columns])
        .from_(inner.subquery("_suture_numbered"))
        .where(exp.column(ROW_NUMBER).eq(1))
    )
    return outer.subquery(alias)


def apply_recipe(sql: str, dialect: str, recipe: Recipe) -> str:
    """`sql` with every read of the recipe's topic replaced by the recipe's table."""
    tree = parse_model(sql, dialect)
    patched = tree.copy()
    hits = 0
    for table in list(patched.find_all(exp.Table)):
        if table_name(table) != recipe.dataset.lower():
            continue
        hits += 1
        table.replace(_deduplicated(recipe, table.alias_or_name))
    if not hits:
        raise ToolError(f"the model does not read {recipe.dataset!r}; nothing to deduplicate")
    return patched.sql(dialect=dialect, pretty=True)


def without_recipe(sql: str, dialect: str, recipe: Recipe) -> str | None:
    """`sql` with the recipe's subqueries put back as plain reads of its topic, or None when
    `sql` is not the recipe applied to some model (the inverse of apply_recipe).

    A patch that composes a recipe with column substitutions is judged in two steps: the
    recipe re-derived exactly, and the rest judged as substitutions of the model.
    """
    try:
        tree = parse_model(sql, dialect)
    except ToolError:
        return None
    restored = tree.copy()
    hits = 0
    for subquery in list(restored.find_all(exp.Subquery)):
        if subquery.find(exp.Subquery) is None or "_suture_numbered" not in subquery.sql():
            continue
        alias = subquery.alias_or_name
        table: exp.Expr = exp.to_table(recipe.dataset)
        if alias and alias.lower() != recipe.dataset.lower():
            table = exp.alias_(table, alias, table=True)
        subquery.replace(table)
        hits += 1
    if not hits:
        return None
    text = restored.sql(dialect=dialect, pretty=True)
    return text if apply_recipe(text, dialect, recipe) == sql else None


def recipe_patches(pipeline: Pipeline, recipe: Recipe) -> list[ModelPatch]:
    """One patch per model that reads the recipe's topic directly."""
    readers = build_graph(pipeline, {recipe.dataset}).models_reading(recipe.dataset)
    return [
        ModelPatch(
            model=model,
            dialect=pipeline.dialect,
            before_sql=pipeline.models[model],
            after_sql=apply_recipe(pipeline.models[model], pipeline.dialect, recipe),
            recipe=recipe,
        )
        for model in readers
    ]


def omitted_zero(field: str, before: Events, after: Events) -> JsonValue | None:
    """The zero value the producer now omits from `field`, or None without that evidence.

    Before, the field is always present and sometimes zero; after, it is missing from some
    events, never zero where present, and its other values keep their kind.

    >>> before = [{"f": True}, {"f": False}, {"f": True}, {"f": False}]
    >>> omitted_zero("f", before, [{"f": True}, {}, {"f": True}, {}])
    False
    >>> omitted_zero("f", before, [{"f": True}, {"f": None}, {}]) is None
    True
    """
    if not before or not after or any(_value_at(e, field) is None for e in before):
        return None
    old = values(before, field)
    zeros = [z for z in ZEROS if any(type(v) is type(z) and v == z for v in old)]
    if len(zeros) != 1:
        return None
    (zero,) = zeros
    present = [e for e in after if _has(e, field)]
    if any(_value_at(e, field) is None for e in present) or len(present) == len(after):
        return None  # an explicit null, or nothing omitted: not omit-empty
    new = values(after, field)
    if any(type(v) is type(zero) and v == zero for v in new):
        return None
    if {type(v) for v in new} - {type(v) for v in old}:
        return None
    return zero


def zero_restored(field: str, zero: JsonValue) -> str:
    """The DuckDB expression reading `field` with its omitted zero value put back.

    >>> zero_restored("gift", False), zero_restored("note", "")
    ('COALESCE(gift, FALSE)', "COALESCE(note, '')")
    """
    if isinstance(zero, bool):
        literal: exp.Expr = exp.Boolean(this=zero)
    elif isinstance(zero, int | float):
        literal = exp.Literal.number(zero)
    else:
        literal = exp.Literal.string(str(zero))
    reference = exp.column(field) if "." not in field else exp.maybe_parse(field)
    return exp.Coalesce(this=reference, expressions=[literal]).sql(dialect="duckdb")


def _has(event: Mapping[str, object], path: str) -> bool:
    value: object = event
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return False
        value = value[part]
    return True
