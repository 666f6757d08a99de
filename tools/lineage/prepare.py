"""SQL text -> the statements lineage follows: Jinja rendered, procedure bodies opened."""

from __future__ import annotations

import logging
import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.errors import ToolError
from tools.lineage.procedure import body_statements, is_opaque

_SQLGLOT_LOG = logging.getLogger("sqlglot")
# Teradata's data attribute phrases after an expression: TITLE and FORMAT only change how a
# column is displayed; NAMED gives it a name (an alias). sqlglot parses none of them.
_TERADATA_DISPLAY = re.compile(r"\s*\(\s*(?:TITLE|FORMAT)\s+'(?:[^']|'')*'\s*\)", re.IGNORECASE)
_TERADATA_NAMED = re.compile(r"\(\s*NAMED\s+(\"[^\"]+\"|\w+)\s*\)", re.IGNORECASE)


def teradata_phrases(sql: str) -> str:
    """`sql` with Teradata's data attribute phrases dropped (TITLE, FORMAT) or made aliases
    (NAMED), so the statement parses.

    >>> teradata_phrases("SELECT DOB (TITLE 'Birth date'), pay (NAMED salary) FROM e")
    'SELECT DOB, pay AS salary FROM e'
    """
    return _TERADATA_NAMED.sub(r"AS \1", _TERADATA_DISPLAY.sub("", sql))


def statements(sql: str, dialect: str) -> list[exp.Expr]:
    """The statements of a script, dbt model or procedure, in order.

    A script sqlglot parses whole is taken as it parses; one with procedure bodies or
    control flow sqlglot keeps opaque is opened statement by statement (see `procedure`).
    """
    if any(marker in sql for marker in ("{{", "{%", "{#")):
        from tools.lineage.dbt import render_model  # jinja2 only for templated models

        sql = render_model(sql)
    if dialect == "teradata":
        sql = teradata_phrases(sql)
    try:
        parsed = _quietly(sql, dialect)
    except SqlglotError as error:
        found = list(body_statements(sql, dialect))
        if not found:
            raise ToolError(f"cannot parse the SQL as {dialect!r}: {error}") from error
        return found
    if any(is_opaque(s) for s in parsed):
        return list(body_statements(sql, dialect))
    return parsed


def _quietly(sql: str, dialect: str) -> list[exp.Expr]:
    # sqlglot warns for every piece it keeps as a raw command; opening them is our job here.
    level = _SQLGLOT_LOG.level
    _SQLGLOT_LOG.setLevel(logging.ERROR)
    try:
        return [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    finally:
        _SQLGLOT_LOG.setLevel(level)
