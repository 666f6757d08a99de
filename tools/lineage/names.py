"""Stable names for unaliased output expressions.

An unaliased projection that is not a plain column (`max(col1)`, `col1 + col2`,
`CAST(col1 AS TIMESTAMP)`) is named by its SQL as sqlglot writes it in the statement's dialect,
the way DuckDB and Spark name such columns; never sqlglot's positional `_col_0`.
"""

from __future__ import annotations

from sqlglot import exp

_NAMED = (exp.Column, exp.Star, exp.Alias)


def expression_name(projection: exp.Expr, dialect: str) -> str:
    """The output name of an unaliased projection.

    >>> import sqlglot
    >>> expression_name(sqlglot.parse_one("select max(col1) from t").selects[0], "duckdb")
    'MAX(col1)'
    """
    return projection.sql(dialect=dialect)


def name_expressions(query: exp.Expr, dialect: str) -> exp.Expr:
    """`query` (a copy) with every unaliased non-column projection aliased by its SQL."""
    query = query.copy()
    for select in query.find_all(exp.Select):
        projections = select.expressions
        for index, projection in enumerate(projections):
            if isinstance(projection, _NAMED) or projection.alias:
                continue
            name = exp.to_identifier(expression_name(projection, dialect), quoted=True)
            projections[index] = exp.Alias(this=projection, alias=name)
        select.set("expressions", projections)
    return query
