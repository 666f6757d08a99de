r"""Carry a change of a rendered model back into its Jinja source, keeping every Jinja tag.

The template is rendered once with each piece of literal text wrapped in markers, so every
character of the rendered SQL is known to come either from a literal piece of the source (at a
known offset) or from a Jinja tag (`{{ ref(...) }}`, `{{ source(...) }}`, `{{ var(...) }}`).
The old and new SQL are compared token by token; each changed run must fall inside one literal
piece that the template emits once, and is applied to the source there. The result is accepted
only when it renders to exactly the new SQL and keeps the same Jinja tags in the same order;
otherwise the caller gets a WritebackError saying why (and escalates).

>>> source = "select cust_id, n from {{ source('shop', 'orders') }}"
>>> print(write_back(source, "select customer_id AS cust_id, n from orders",
...                  sources={"shop.orders": "orders"}))
select customer_id AS cust_id, n from {{ source('shop', 'orders') }}
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from core.contracts import Pipeline
from core.errors import ToolError
from core.models import ModelPatch

_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]")
_OPEN, _CLOSE = "\x02", "\x03"  # cannot occur in SQL text; wrap piece numbers and ends
_MARK = re.compile(f"{_OPEN}(\\d+){_OPEN}|{_CLOSE}")


class WritebackError(ToolError):
    """The change cannot be carried into the template exactly; a human must write it."""


@dataclass(frozen=True)
class _Origin:
    piece: int  # -1: text a Jinja tag produced
    offset: int  # offset of the character in the source text


def tags(source: str) -> list[str]:
    """The Jinja tags of `source`, in order."""
    return _TAG.findall(source)


def _pieces(source: str) -> list[tuple[int, int]]:
    """(start, end) in `source` of the literal text between Jinja tags that Jinja emits.

    Whitespace a `{%-` / `-%}` (or `{{-` / `-}}`) tag trims is left out of the pieces."""
    spans, last, trim_next = [], 0, False
    for match in _TAG.finditer(source):
        start, end = last, match.start()
        if trim_next:
            start += len(source[start:end]) - len(source[start:end].lstrip())
        if match.group().startswith(("{{-", "{%-", "{#-")):
            end = start + len(source[start:end].rstrip())
        spans.append((start, max(start, end)))
        last, trim_next = match.end(), match.group().endswith(("-}}", "-%}", "-#}"))
    start = last
    if trim_next:
        start += len(source[last:]) - len(source[last:].lstrip())
    spans.append((start, len(source)))
    return [(s, e) for s, e in spans if e > s]


def _render(
    text: str,
    variables: Mapping[str, object],
    sources: Mapping[str, str],
    macros: Sequence[str] = (),
    packages: Mapping[str, Sequence[str]] | None = None,
) -> str:
    from tools.lineage.dbt import render_model  # jinja2 only for templated models

    return render_model(text, variables, sources, macros, packages)


def _origins(
    source: str, render: Callable[[str], str]
) -> tuple[str, list[_Origin], dict[int, int]]:
    """The rendered text, where each of its characters came from, and how often each piece shows."""
    pieces = _pieces(source)
    marked, last = [], 0
    for index, (start, end) in enumerate(pieces):
        marked.append(source[last:start] + f"{_OPEN}{index}{_OPEN}" + source[start:end] + _CLOSE)
        last = end
    instrumented = render("".join(marked) + source[last:])
    text: list[str] = []
    origins: list[_Origin] = []
    shown: dict[int, int] = {}
    piece, position, cursor = -1, 0, 0
    for match in _MARK.finditer(instrumented):
        for char in instrumented[cursor : match.start()]:
            offset = pieces[piece][0] + position if piece >= 0 else -1
            origins.append(_Origin(piece, offset))
            text.append(char)
            position += 1
        cursor = match.end()
        if match.group(1) is not None:
            piece, position = int(match.group(1)), 0
            shown[piece] = shown.get(piece, 0) + 1
        else:
            piece = -1
    for char in instrumented[cursor:]:
        origins.append(_Origin(-1, -1))
        text.append(char)
    if text and text[-1] == "\n":  # Jinja drops one trailing newline; the markers hid it
        plain = render(source)
        if not plain.endswith("\n") and "".join(text[:-1]) == plain:
            text, origins = text[:-1], origins[:-1]
    return "".join(text), origins, shown


def _spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _TOKEN.finditer(text)]


def _source_range(
    origins: list[_Origin], shown: dict[int, int], start: int, end: int
) -> tuple[int, int]:
    """Where rendered characters [start, end) come from in the source; one literal piece only."""
    if start == end:  # an insertion: anchor it to a literal neighbour
        for at, after in ((start - 1, True), (start, False)):
            if 0 <= at < len(origins) and origins[at].piece >= 0 and shown[origins[at].piece] == 1:
                offset = origins[at].offset + (1 if after else 0)
                return offset, offset
        raise WritebackError("an insertion lands next to text a Jinja tag produced")
    chosen = origins[start:end]
    piece = chosen[0].piece
    if piece < 0 or any(o.piece != piece for o in chosen):
        raise WritebackError("the change touches text a Jinja tag produced (a ref, source or var)")
    if shown[piece] != 1:
        raise WritebackError("the change is in text the template emits more than once (a loop)")
    offsets = [o.offset for o in chosen]
    if offsets != list(range(offsets[0], offsets[0] + len(offsets))):
        raise WritebackError("the changed text is not contiguous in the template")
    return offsets[0], offsets[-1] + 1


def write_back(
    source: str,
    after_sql: str,
    variables: Mapping[str, object] | None = None,
    sources: Mapping[str, str] | None = None,
    macros: Sequence[str] = (),
    packages: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """`source` (a Jinja model) changed so that it renders to `after_sql`; keeps its Jinja.

    Raises WritebackError when that cannot be done exactly."""
    if "\r\n" in source and "\n" not in source.replace("\r\n", ""):  # Jinja renders \r\n as \n
        unix = write_back(
            source.replace("\r\n", "\n"), after_sql, variables, sources, macros, packages
        )
        return unix.replace("\n", "\r\n")
    values, tables = dict(variables or {}), dict(sources or {})

    def render(text: str) -> str:
        return _render(text, values, tables, macros, packages)

    before, origins, shown = _origins(source, render)
    if before != render(source):
        raise WritebackError("the template renders differently with markers (whitespace control)")
    old, new = _spans(before), _spans(after_sql)
    matcher = difflib.SequenceMatcher(
        None, [before[s:e] for s, e in old], [after_sql[s:e] for s, e in new], autojunk=False
    )
    edits: list[tuple[int, int, str]] = []
    for kind, i1, i2, j1, j2 in matcher.get_opcodes():
        if kind == "equal":
            continue
        start = old[i1][0] if i1 < len(old) else len(before)
        end = old[i2 - 1][1] if i2 > i1 else start
        replacement = after_sql[new[j1][0] : new[j2 - 1][1]] if j2 > j1 else ""
        edits.append((*_source_range(origins, shown, start, end), replacement))
    text = source
    for start, end, replacement in sorted(edits, reverse=True):
        text = text[:start] + replacement + text[end:]
    if render(text) != after_sql:
        raise WritebackError("the edited template does not render to the patched SQL")
    if tags(text) != tags(source):
        raise WritebackError("the edit would change the template's Jinja tags")
    return text


def templated_patches(pipeline: Pipeline, patches: Sequence[ModelPatch]) -> list[ModelPatch]:
    """`patches` with each templated model's new Jinja text and file path filled in.

    Raises WritebackError (naming the model) when a change cannot be carried into its template."""
    done: list[ModelPatch] = []
    for patch in patches:
        if patch.model in pipeline.read_only:
            raise WritebackError(
                f"model {patch.model!r} is {pipeline.read_only[patch.model]}, which suture never "
                "patches; the change must be made where it comes from"
            )
        template = pipeline.templates.get(patch.model)
        if template is None:
            done.append(patch)
            continue
        try:
            text = write_back(
                template.text,
                patch.after_sql,
                pipeline.context.variables,
                pipeline.context.sources,
                pipeline.context.macros,
                pipeline.context.packages,
            )
        except WritebackError as error:
            raise WritebackError(f"{template.path}: {error}") from error
        update = {"path": template.path, "template_before": template.text, "template_after": text}
        done.append(patch.model_copy(update=update))
    return done
