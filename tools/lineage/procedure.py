"""The statements inside procedure bodies and scripts sqlglot cannot parse whole.

T-SQL, Oracle PL/SQL and BigQuery scripting wrap SQL in control flow (BEGIN ... END, IF,
WHILE, DECLARE, TRY/CATCH) that sqlglot keeps as an opaque command. The script is cut at
semicolons (and T-SQL's `GO` lines); in each piece the first statement keyword from which the
rest parses as a real statement gives that statement, and control flow around it is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokenizer_core import Token, TokenType

_STARTS = {
    TokenType.INSERT,
    TokenType.UPDATE,
    TokenType.MERGE,
    TokenType.CREATE,
    TokenType.SELECT,
    TokenType.WITH,
    TokenType.DELETE,
}
# `GO` ends a T-SQL batch; it is a line of its own, read by the client, never SQL.
_BATCH_SEPARATOR = re.compile(r"^[ \t]*GO[ \t]*;?[ \t]*$", re.IGNORECASE | re.MULTILINE)


def is_opaque(statement: exp.Expr | None) -> bool:
    """True for what sqlglot could not parse into a statement tree (kept as a raw command)."""
    return isinstance(statement, exp.Command) or (
        isinstance(statement, exp.Create) and statement.kind in ("PROCEDURE", "FUNCTION")
    )


def body_statements(sql: str, dialect: str) -> Iterator[exp.Expr]:
    """Every statement sqlglot can parse inside `sql`, control flow and wrappers skipped.

    >>> [s.sql() for s in body_statements(
    ...     "CREATE PROCEDURE p() AS BEGIN IF x THEN INSERT INTO t SELECT a FROM s; END IF; END",
    ...     "oracle")]
    ['INSERT INTO t SELECT a FROM s']
    """
    for batch in _BATCH_SEPARATOR.split(sql):
        try:
            tokens = Dialect.get_or_raise(dialect).tokenize(batch)
        except SqlglotError:
            continue
        for piece in _pieces(tokens):
            statement = _first_statement(batch, piece, dialect)
            if statement is not None:
                yield statement


def _pieces(tokens: list[Token]) -> Iterator[list[Token]]:
    piece: list[Token] = []
    for token in tokens:
        if token.token_type == TokenType.SEMICOLON:
            if piece:
                yield piece
            piece = []
        else:
            piece.append(token)
    if piece:
        yield piece


def _first_statement(text: str, piece: list[Token], dialect: str) -> exp.Expr | None:
    end = piece[-1].end + 1
    for token in piece:
        if token.token_type not in _STARTS:
            continue
        try:
            parsed = sqlglot.parse(text[token.start : end], read=dialect)
        except SqlglotError:
            continue
        statements = [s for s in parsed if s is not None]
        if len(statements) == 1 and not is_opaque(statements[0]):
            # A trailing END of the block may still hang on: `... FROM t END` reads END as alias.
            return statements[0]
    return None
