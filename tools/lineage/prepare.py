"""SQL text -> the statements lineage follows: Jinja rendered, procedure bodies opened."""

from __future__ import annotations

import logging

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.errors import ToolError
from tools.lineage.procedure import body_statements, is_opaque

_SQLGLOT_LOG = logging.getLogger("sqlglot")


def statements(sql: str, dialect: str) -> list[exp.Expr]:
    """The statements of a script, dbt model or procedure, in order.

    A script sqlglot parses whole is taken as it parses; one with procedure bodies or
    control flow sqlglot keeps opaque is opened statement by statement (see `procedure`).
    """
    if any(marker in sql for marker in ("{{", "{%", "{#")):
        from tools.lineage.dbt import render_model  # jinja2 only for templated models

        sql = render_model(sql)
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
