"""A substitute must not floor or truncate what the old values kept: `amount // divisor`,
`floor(x)`, `trunc(x)` or a cast to an integer type, where the exact computation (the same
expression without the cut) gives values the old representation could hold, loses them.

The old representation sets what rounding is allowed: whole numbers (integers, digit-only
text) may round to the nearest one (never floor); numbers written with decimals, none.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

import sqlglot
from pydantic import JsonValue
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.errors import ReplayError, ToolError
from tools.healing.lossless import number
from tools.healing.mapping import evaluate
from tools.matching.samples import Events

RELATIVE_EXACTNESS = 1e-9
"""Float noise allowed between the cut and the exact value."""
_INTEGER_TYPES = frozenset(exp.DataType.INTEGER_TYPES)


def _uncut(node: exp.Expr) -> exp.Expr:
    """The node without its cut: `a // b` -> `a / b`, `floor(x)` -> `x`, integer casts -> DOUBLE."""
    if isinstance(node, exp.IntDiv):
        return exp.Div(this=node.this, expression=node.expression)
    inner = node.this
    if isinstance(node, exp.Floor | exp.Ceil | exp.Trunc) and isinstance(inner, exp.Expr):
        return inner if not node.args.get("decimals") else node
    if isinstance(node, exp.Cast) and node.to.this in _INTEGER_TYPES:
        return exp.Cast(this=node.this, to=exp.DataType.build("DOUBLE"))
    return node


def exact_form(target: str) -> str | None:
    """`target` with every floor, truncation and integer cast undone, or None if it has none.

    >>> exact_form("cast(a // b as decimal(12, 2))")
    'CAST(a / b AS DECIMAL(12, 2))'
    >>> exact_form("a / 100.0") is None
    True
    """
    try:
        tree = sqlglot.parse_one(target, read="duckdb")
    except SqlglotError:
        return None
    exact = tree.transform(_uncut)
    return None if exact == tree else exact.sql(dialect="duckdb")


def _number(value: object) -> float | None:
    if isinstance(value, Decimal):
        return float(value)
    return number(value)  # type: ignore[arg-type]


def _resolution(old: Sequence[JsonValue]) -> float:
    """1 when every old value is a whole number written without decimals, else 0."""
    whole = [
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, str) and v.isdigit())
        for v in old
    ]
    return 1.0 if old and all(whole) else 0.0


def truncation_loss(target: str, after: Events, old: Sequence[JsonValue]) -> str | None:
    """Why `target` cuts away part of values the old representation kept, or None."""
    if not old or all(_number(v) is None for v in old):
        return None  # not a number before: a cut of text or times is judged elsewhere
    exact = exact_form(target)
    if exact is None:
        return None
    try:
        cut, kept = evaluate(target, after), evaluate(exact, after)
    except (ReplayError, ToolError):
        return None
    pairs = [
        (c, k)
        for c_raw, k_raw in zip(cut, kept, strict=True)
        if (c := _number(c_raw)) is not None and (k := _number(k_raw)) is not None
    ]
    allowed = 0.5 * _resolution(old)
    off = [(c, k) for c, k in pairs if abs(c - k) > allowed + RELATIVE_EXACTNESS * max(1.0, abs(k))]
    if not off:
        return None
    c, k = off[0]
    return (
        f"{target} floors or truncates on {len(off)} of {len(pairs)} new events (gives {c:g} "
        f"where {exact} gives {k:g}): the old values kept what it cuts away"
    )
