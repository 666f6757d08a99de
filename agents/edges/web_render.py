"""Jinja2 templates of the review console, and the filters they use (diff, SQL, Markdown)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markdown_it import MarkdownIt
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import SqlLexer

from core.models import ModelPatch

_LEXER = SqlLexer()
_FORMATTER = HtmlFormatter(nowrap=True)
# Raw HTML in a description is shown as text: the description quotes hostile data.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff: each side's line number, highlighted text and kind."""

    left_number: int | None
    left: Markup
    right_number: int | None
    right: Markup
    kind: str  # same | change | add | delete


def highlight_sql(line: str) -> Markup:
    """One line of SQL as HTML spans (Pygments; the text is escaped by it)."""
    if not line:
        return Markup("")
    return Markup(highlight(line, _LEXER, _FORMATTER).rstrip("\n"))


def side_by_side(patch: ModelPatch) -> list[DiffRow]:
    """The patch as aligned rows: unchanged lines on both sides, changes paired up."""
    before, after = patch.before_sql.splitlines(), patch.after_sql.splitlines()
    rows: list[DiffRow] = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        width = max(i2 - i1, j2 - j1)
        for k in range(width):
            left = i1 + k if i1 + k < i2 else None
            right = j1 + k if j1 + k < j2 else None
            kind = "same" if tag == "equal" else _kind(left, right)
            rows.append(
                DiffRow(
                    None if left is None else left + 1,
                    highlight_sql(before[left]) if left is not None else Markup(""),
                    None if right is None else right + 1,
                    highlight_sql(after[right]) if right is not None else Markup(""),
                    kind,
                )
            )
    return rows


def _kind(left: int | None, right: int | None) -> str:
    if left is None:
        return "add"
    if right is None:
        return "delete"
    return "change"


def markdown(text: str) -> Markup:
    """Markdown rendered to HTML, with any raw HTML in it escaped."""
    return Markup(_MARKDOWN.render(text))


def when(moment: datetime | None) -> str:
    """A moment as 'YYYY-MM-DD HH:MM:SS UTC' (empty for None)."""
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def highlight_css() -> str:
    """The CSS of the SQL highlighting's classes."""
    return str(_FORMATTER.get_style_defs(".sql"))


def build_environment() -> Environment:
    """The template environment: package templates, every value escaped."""
    environment = Environment(
        loader=PackageLoader("agents.edges", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters.update(markdown=markdown, when=when, sql=highlight_sql)
    environment.globals.update(side_by_side=side_by_side)
    return environment


class Renderer:
    """Renders one template with the values every page needs."""

    def __init__(self) -> None:
        self._environment = build_environment()

    def render(self, name: str, **values: Any) -> str:
        """The HTML of template `name`."""
        return self._environment.get_template(name).render(**values)
