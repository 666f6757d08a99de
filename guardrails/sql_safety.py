"""Guardrails on the SQL itself: a proposed model is one query and never changes data."""

from __future__ import annotations

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.models import Verdict
from guardrails.registry import PatchReview, guardrail

_DESTRUCTIVE_NAMES = (
    "Drop",
    "Delete",
    "TruncateTable",
    "Alter",
    "Insert",
    "Update",
    "Merge",
    # statements that change state outside the data: privileges, files, sessions, extensions
    "Grant",
    "Revoke",
    "Copy",
    "Attach",
    "Detach",
    "Install",
    "LoadData",
    "Pragma",
    "Commit",
    "Rollback",
    "Transaction",
    "Kill",
    "Execute",
    "Export",
    "Cache",
    "Uncache",
    "Refresh",
    "Comment",
    "Analyze",
    "Set",
    "Use",
    "Command",  # statements sqlglot does not model (VACUUM, CALL, ...)
)
_DESTRUCTIVE: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, name) for name in _DESTRUCTIVE_NAMES if hasattr(exp, name)
)


def destructive_statement(sql: str, dialect: str) -> str | None:
    """Why `sql` is destructive or unreadable, or None when it only reads.

    >>> destructive_statement("with x as (delete from t returning *) select * from x", "postgres")
    'DELETE is not allowed in a proposed model'
    >>> destructive_statement("select 1", "duckdb") is None
    True
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError as error:
        return f"the SQL does not parse as {dialect}: {error}"
    for statement in statements:
        found = statement.find(*_DESTRUCTIVE)
        if found is not None:
            return f"{found.key.upper()} is not allowed in a proposed model"
    return None


@guardrail
def no_destructive_statements(review: PatchReview) -> Verdict:
    """A proposed model only reads: no DROP, DELETE, TRUNCATE, ALTER, INSERT, UPDATE or MERGE."""
    for patch in review.patches:
        reason = destructive_statement(patch.after_sql, patch.dialect)
        if reason is not None:
            return Verdict.block(f"model {patch.model!r}: {reason}")
    return Verdict.allow()


@guardrail
def patch_is_single_query(review: PatchReview) -> Verdict:
    """Each patched model is exactly one query (SELECT, UNION, ...), like the model it replaces."""
    for patch in review.patches:
        try:
            statements = [s for s in sqlglot.parse(patch.after_sql, read=patch.dialect) if s]
        except SqlglotError as error:
            return Verdict.block(f"model {patch.model!r} does not parse: {error}")
        if len(statements) != 1 or not isinstance(statements[0], exp.Query):
            return Verdict.block(
                f"model {patch.model!r} must be one query, got {[s.key for s in statements]}"
            )
        if patch.dialect != review.pipeline.dialect:
            return Verdict.block(
                f"model {patch.model!r} is written in {patch.dialect!r}, "
                f"the pipeline in {review.pipeline.dialect!r}"
            )
    return Verdict.allow()
