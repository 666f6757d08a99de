"""Script variables (`DECLARE cutoff DATE ...`) are values, not columns: no lineage of theirs."""

from __future__ import annotations

from collections.abc import Iterable, Set

from sqlglot import exp

from tools.lineage.scope import name_of


def declared_variables(statements: Iterable[exp.Expr]) -> set[str]:
    """Names the script declares (BigQuery scripting, Snowflake, T-SQL `DECLARE`).

    >>> import sqlglot
    >>> sorted(declared_variables(sqlglot.parse("DECLARE a, b INT64; SELECT 1", read="bigquery")))
    ['a', 'b']
    """
    names: set[str] = set()
    for statement in statements:
        if not isinstance(statement, exp.Declare):
            continue
        for item in statement.expressions:
            declared = item.this if isinstance(item, exp.DeclareItem) else item
            for identifier in declared if isinstance(declared, list) else [declared]:
                if isinstance(identifier, (exp.Identifier, exp.Var, exp.Column)):
                    names.add(name_of(identifier).lstrip("@"))
    return names


def as_variables(statement: exp.Expr, variables: Set[str]) -> exp.Expr:
    """`statement` (a copy) with unqualified columns named like a variable made variables."""
    if not variables:
        return statement
    statement = statement.copy()
    for column in list(statement.find_all(exp.Column)):
        if not column.table and name_of(column.this) in variables:
            column.replace(exp.Var(this=column.name))
    return statement
