"""A dbt seed (a CSV file) as a relation: a query over its rows, for lineage and replay.

A model that `ref()`s a seed reads the seed's rows like any other relation; suture gives the
seed a model whose query is a VALUES list of the file's rows, so lineage traces columns to it and
replay joins it without loading anything. Column types follow what dbt infers from the values,
simplified: a column whose every non-empty value is an integer, a number or true/false is one;
anything else (dates included) is text, and an empty cell is null.
"""

from __future__ import annotations

import csv
import io
import re

from sqlglot import exp

from core.errors import ToolError

MAX_ROWS = 10_000  # a larger seed is data, not a lookup table: too big to inline in a query
_INTEGER = re.compile(r"-?\d+")
_NUMBER = re.compile(r"-?(\d+\.\d*|\.\d+|\d+)([eE][-+]?\d+)?")
_BOOLEANS = {"true": True, "false": False}


def _kind(values: list[str]) -> str:
    """'integer', 'number', 'boolean' or 'text': what every non-empty value in a column is."""
    present = [v for v in values if v != ""]
    if present and all(_INTEGER.fullmatch(v) for v in present):
        return "integer"
    if present and all(_NUMBER.fullmatch(v) for v in present):
        return "number"
    if present and all(v.lower() in _BOOLEANS for v in present):
        return "boolean"
    return "text"


def _literal(value: str, kind: str) -> exp.Expression:
    if value == "":
        return exp.Null()
    if kind in ("integer", "number"):
        return exp.Literal.number(value)
    if kind == "boolean":
        return exp.Boolean(this=_BOOLEANS[value.lower()])
    return exp.Literal.string(value)


_TYPES = {"integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN", "text": "VARCHAR"}


def seed_sql(text: str, dialect: str = "duckdb") -> str:
    """The query whose rows are the CSV `text`'s (header first), in `dialect`.

    >>> seed_sql("code,name,rank\\nDE,Germany,1\\nFR,,2\\n")
    "SELECT * FROM (VALUES ('DE', 'Germany', 1), ('FR', NULL, 2)) AS seed(code, name, rank)"
    """
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not any(rows[0]):
        raise ToolError("the seed has no header row; its first line names its columns")
    header, body = [c.strip() for c in rows[0]], [r for r in rows[1:] if r]
    if len(body) > MAX_ROWS:
        raise ToolError(f"the seed has {len(body)} rows; suture reads seeds of {MAX_ROWS} or fewer")
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ToolError(f"line {number} has {len(row)} values for {len(header)} columns")
    kinds = [_kind([row[i] for row in body]) for i in range(len(header))]
    if not body:  # no rows: the columns alone, typed as text
        columns = [
            exp.alias_(exp.cast(exp.Null(), _TYPES[k]), name)
            for name, k in zip(header, kinds, strict=True)
        ]
        return exp.select(*columns).where(exp.false()).sql(dialect=dialect)
    values = exp.values(
        [exp.tuple_(*(_literal(v, k) for v, k in zip(row, kinds, strict=True))) for row in body],
        alias="seed",
        columns=header,
    )
    return exp.select("*").from_(values).sql(dialect=dialect)
