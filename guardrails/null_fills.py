"""Find where an expression puts a constant in place of a field's missing values.

Filling NULLs with a constant invents values: `coalesce(price, 0)` says every price the producer
no longer sends was 0. That is right only where the producer omits exactly that zero value
(tools.healing.recipes.omitted_zero); the substitutions check refuses it everywhere else.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

_CONSTANTS = (exp.Literal, exp.Boolean)


def _constant(node: exp.Expr) -> bool:
    """A literal, possibly negated or cast: the same value on every row."""
    while isinstance(node, exp.Neg | exp.Cast | exp.Paren):
        node = node.this
    return isinstance(node, _CONSTANTS)


def _is_field(node: exp.Expr, field: str) -> bool:
    while isinstance(node, exp.Cast | exp.Paren):
        node = node.this
    if not isinstance(node, exp.Column):
        return False
    return ".".join(p.name for p in node.parts).lower() == field.lower()


def filled_constant(target: str, field: str) -> str | None:
    """The constant `target` writes where `field` is missing, or None when it writes none.

    >>> filled_constant("coalesce(price, 0)", "price")
    '0'
    >>> filled_constant("ifnull(note, 'n/a')", "note")
    "'n/a'"
    >>> filled_constant("CASE WHEN qty IS NULL THEN -1 ELSE qty END", "qty")
    '-1'
    >>> filled_constant("coalesce(price, list_price)", "price") is None
    True
    >>> filled_constant("coalesce(other, 0) + price", "price") is None
    True
    """
    try:
        tree = sqlglot.parse_one(target, read="duckdb")
    except SqlglotError:
        return None
    for node in tree.find_all(exp.Coalesce):
        arguments = [node.this, *node.expressions]
        for i, argument in enumerate(arguments):
            if _is_field(argument, field):
                later = next((a for a in arguments[i + 1 :] if _constant(a)), None)
                if later is not None:
                    return str(later.sql(dialect="duckdb"))
    for case in tree.find_all(exp.If):
        condition = case.this
        if (
            isinstance(condition, exp.Is)
            and isinstance(condition.expression, exp.Null)
            and _is_field(condition.this, field)
            and _constant(case.args["true"])
        ):
            filled: exp.Expr = case.args["true"]
            return str(filled.sql(dialect="duckdb"))
    return None
