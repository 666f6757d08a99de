"""Recoding a new enum value into the domain the models know: the expression and its check.

A recode is only ever proposed on evidence (a verified fix, or a model's proposal a human
approves); this module writes it and judges it on the events: values the models already knew
pass through unchanged, new ones land inside the contract's enum.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlglot
from pydantic import JsonValue
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.contracts import Contract
from core.errors import ReplayError, ToolError
from tools.healing.mapping import evaluate
from tools.matching.samples import Events, values


def _literal(value: JsonValue) -> exp.Expr:
    if isinstance(value, bool):
        return exp.Boolean(this=value)
    if isinstance(value, int | float):
        return exp.Literal.number(value)
    return exp.Literal.string(str(value))


def recode_target(field: str, recodes: Mapping[str, JsonValue]) -> str:
    """DuckDB SQL reading `field` with each new value recoded to a known one.

    >>> recode_target("status", {"dispatched": "shipped"})
    "CASE WHEN status = 'dispatched' THEN 'shipped' ELSE status END"
    """
    column = exp.column(field) if "." not in field else exp.maybe_parse(field)
    case = exp.Case(default=column.copy())
    for new, known in sorted(recodes.items()):
        case = case.when(column.copy().eq(_literal(new)), _literal(known))
    return case.sql(dialect="duckdb")


def is_recode(target: str, field: str) -> bool:
    """Whether `target` only swaps literal values of `field` (the shape recode_target writes).

    >>> is_recode(recode_target("s", {"a": "b"}), "s"), is_recode("lower(s) = 'y'", "s")
    (True, False)
    """
    try:
        tree = sqlglot.parse_one(target, read="duckdb")
    except SqlglotError:
        return False
    column = exp.column(field) if "." not in field else exp.maybe_parse(field)
    if not isinstance(tree, exp.Case) or tree.args.get("default") != column:
        return False
    for branch in tree.args.get("ifs") or []:
        condition, value = branch.this, branch.args.get("true")
        if not isinstance(condition, exp.EQ) or condition.this != column:
            return False
        if not all(isinstance(x, exp.Literal | exp.Boolean) for x in (condition.expression, value)):
            return False
    return bool(tree.args.get("ifs"))


def known_domain(contract: Contract, field: str, before: Events) -> list[JsonValue]:
    """The values the models know for `field`: the contract's enum, else the old values."""
    spec = contract.field(field)
    if spec is not None and spec.enum:
        return list(spec.enum)
    return list(dict.fromkeys(values(before, field)))


def recode_problem(
    field: str, target: str, contract: Contract, before: Events, after: Events
) -> str | None:
    """Why `target` is not a recode of `field`'s new values into its domain, or None."""
    domain = known_domain(contract, field, before)
    if not domain:
        return f"{field} has no declared domain to recode into"
    try:
        computed = evaluate(target, after)
        raw = evaluate(exp.column(field).sql(dialect="duckdb"), after)
    except (ReplayError, ToolError) as error:
        return f"{target} cannot be evaluated: {error}"
    known = {repr(v) for v in domain}
    for old, new in zip(raw, computed, strict=True):
        if old is None:
            continue
        if repr(old) in known and old != new:
            return f"{target} changes the known value {old!r} to {new!r}"
        if repr(old) not in known and repr(new) not in known:
            return f"{target} leaves {old!r} outside the domain {domain}"
    return None
