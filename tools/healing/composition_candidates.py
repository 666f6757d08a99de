"""Candidates for old fields a split or a merge affects, each with the evidence that decides it.

- Split (an old whole became new parts): the candidate joins the parts. It must rebuild EVERY
  old value exactly from pieces its parts' languages admit (an optional part may be absent);
  a layout that fits only some old values is refused, and the refusal says which.
- Merge (old parts became one new whole): the candidate reads its piece of the whole. Each new
  whole must split one way only (else the split point is ambiguous and a human decides), and
  on every old event the piece must come back exactly from the whole its parts make.

Every order of the parts is tried. An order the part names contradict is refused; orders the
evidence cannot tell apart stay separate candidates, so the mapper reports them as ambiguous.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from itertools import permutations

from pydantic import JsonValue

from tools.healing.candidate import Candidate, Witness
from tools.healing.representation import literal, ref, restore
from tools.matching.decompositions import (
    WORDS_CHANCE,
    decompositions,
    separated_templates,
    words_by_luck,
)
from tools.matching.part_order import order_problem
from tools.matching.samples import Events, values
from tools.matching.templates import (
    PartLanguage,
    Template,
    char_class,
    learn,
    python_class,
    templates,
)


def _text(reference: str, found: Sequence[JsonValue]) -> str:
    return reference if all(isinstance(v, str) for v in found) else f"CAST({reference} AS VARCHAR)"


def _piece(
    whole: str,
    template: Template,
    classes: list[str],
    index: int,
    widths: list[int | None],
    wholes: list[str],
) -> str:
    """SQL reading part `index` (0-based) out of `whole` laid out by `template`."""
    if all(w is not None for w in widths):
        total = len(template.prefix) + sum(w or 0 for w in widths)
        total += sum(map(len, template.separators)) + len(template.suffix)
        if all(len(w) == total for w in wholes):
            start = len(template.prefix) + sum(w or 0 for w in widths[:index])
            start += sum(len(s) for s in template.separators[:index])
            return f"substr({whole}, {start + 1}, {widths[index]})"
    seps = set(template.separators)
    if not template.prefix and not template.suffix and len(seps) == 1 and "" not in seps:
        (sep,) = seps
        inside = [bool(re.search(python_class(c), sep)) for c in classes]
        if not any(inside[: index + 1]) and (index < len(classes) - 1 or not any(inside)):
            return f"split_part({whole}, {literal(sep)}, {index + 1})"
        if index == len(classes) - 1 and not any(inside[:-1]):
            # only the last part may hold the separator: it is the rest after the others
            heads = " + ".join(
                f"length(split_part({whole}, {literal(sep)}, {i + 1}))" for i in range(index)
            )
            return f"substr({whole}, {heads} + {index * len(sep) + 1})"
    return f"regexp_extract({whole}, {literal(template.pattern(classes))}, {index + 1})"


def _old_widths(template: Template, wholes: list[str], parts: list[list[str]]) -> list[int | None]:
    """The constant width of each part inside the old whole values (None where it varies)."""
    regex = re.compile(template.python_pattern([char_class(p) for p in parts]))
    matches = [regex.match(w) for w in wholes]
    widths: list[int | None] = []
    for i in range(len(parts)):
        lengths = {len(m.group(i + 1)) for m in matches if m is not None}
        widths.append(lengths.pop() if len(lengths) == 1 else None)
    return widths


def _fit_width(text: str, new: list[str], width: int | None) -> str:
    """`text` padded with zeros or cut to the last `width` characters, as the old values were."""
    lengths = {len(v) for v in new}
    if width is None or not new or lengths == {width} or not all(v.isdigit() for v in new):
        return text
    if max(lengths) <= width:
        return f"lpad({text}, {width}, '0')"
    return f"right({text}, {width})"


def _joined(template: Template, pieces: list[str]) -> str:
    """SQL joining `pieces` laid out by `template`; parts that are NULL or empty are skipped
    with their separator when one separator joins them all (an optional middle name)."""
    seps = set(template.separators)
    if not template.prefix and not template.suffix and len(seps) == 1 and "" not in seps:
        (sep,) = seps
        kept = ", ".join(f"nullif({p}, '')" for p in pieces)
        return f"nullif(concat_ws({literal(sep)}, {kept}), '')"
    joined: list[str] = [literal(template.prefix)] if template.prefix else []
    for i, piece in enumerate(pieces):
        joined.append(piece)
        if i < len(template.separators) and template.separators[i]:
            joined.append(literal(template.separators[i]))
    if template.suffix:
        joined.append(literal(template.suffix))
    return " || ".join(joined)


def layouts_of(wholes: Sequence[str], parts: Sequence[Sequence[str]]) -> list[Template]:
    """Every template found by searching the wholes, then those joining with a common mark."""
    found = list(templates(wholes, parts))
    return found + [t for t in separated_templates(wholes, parts) if t not in found]


def _layouts(wholes: list[str], texts: list[list[str]]) -> Iterator[tuple[Template, list[str]]]:
    """Templates of every whole; else of the wholes with the most parts (others may lack an
    optional one), else of each group of wholes written with the same marks between words (the
    separators vary). A template learned on some wholes must still rebuild all of them: the
    candidate built from it says which it cannot."""
    found = list(layouts_of(wholes, texts))
    if found:
        yield from ((template, wholes) for template in found)
        return
    runs = [tuple(re.findall(r"[^\w]+", w)) for w in wholes]
    most = max((len(r) for r in runs), default=0)
    groups = [[w for w, r in zip(wholes, runs, strict=True) if len(r) == most]]
    by_marks: dict[tuple[str, ...], list[str]] = {}
    for whole, marks in zip(wholes, runs, strict=True):
        by_marks.setdefault(marks, []).append(whole)
    groups += sorted(by_marks.values(), key=len, reverse=True)
    seen: set[Template] = set()
    for group in groups:
        if group == wholes:
            continue
        for template in layouts_of(group, texts):
            if template not in seen:
                seen.add(template)
                yield template, group


def _at(event: Mapping[str, object], path: str) -> object:
    value: object = event
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _put(event: dict[str, object], path: str, value: object) -> None:
    *outer, leaf = path.split(".")
    for part in outer:
        inner = event.setdefault(part, {})
        if not isinstance(inner, dict):
            return
        event = inner
    event[leaf] = value


def _typed(piece: str, found: Sequence[JsonValue]) -> JsonValue:
    """`piece` as the kind of value `found` holds (a number where the part is one)."""
    numbers = [v for v in found if isinstance(v, int | float) and not isinstance(v, bool)]
    if not found or len(numbers) != len(found):
        return piece
    try:
        return int(piece) if all(isinstance(v, int) for v in numbers) else float(piece)
    except ValueError:
        return piece


def _absent(value: object) -> bool:
    return value is None or value == ""


def split_candidates(
    field: str, parts: Sequence[str], confidence: float, before: Events, after: Events
) -> Iterator[Candidate]:
    """One candidate per order of `parts` and layout that rebuilds `field`'s old values."""
    sources = [e for e in before if _at(e, field) is not None]
    wholes = [str(_at(e, field)) for e in sources]
    found = {p: values(after, p) for p in parts}
    optional = {p: any(_absent(_at(e, p)) for e in after) for p in parts}
    worded = not _words_beside(parts, before, after)
    for names in permutations(parts):
        texts = [[str(v) for v in found[n] if v != ""] for n in names]
        for template, fitting in _layouts(wholes, texts):
            widths = _old_widths(template, fitting, texts)
            pieces = [
                _fit_width(_text(ref(name), found[name]), texts[i], widths[i])
                for i, name in enumerate(names)
            ]
            evidence = _SplitEvidence(
                field, names, template, found, [optional[n] for n in names], worded
            )
            problem, witness = evidence.judge(sources)
            yield Candidate(
                _joined(template, pieces),
                f"split: {field} joins {list(names)} as {_shown(template)}",
                confidence,
                group=f"split:{field}:{','.join(names)}",
                problem=problem or order_problem(names, parts),
                witness=witness,
            )


def _words_beside(parts: Sequence[str], before: Events, after: Events) -> bool:
    """Whether the new events hold words in a field beside the parts that no old event had (a
    middle name given its own field): an old whole's extra word may be that field's, so no part
    may take it as a word of its own."""
    old = {key for event in before for key in event}
    roots = {part.split(".")[0] for part in parts}
    return any(
        key not in old and key not in roots and isinstance(v, str) and any(map(str.isalpha, v))
        for event in after
        for key, v in event.items()
    )


class _SplitEvidence:
    """Whether one layout of the parts rebuilds every old value, from pieces its parts admit:
    pieces of several words too (a surname "De witte" where the new surnames sampled were
    single words) while so few old values need them that the new sample lacks them by luck
    (tools.matching.decompositions.words_by_luck), unless `worded` is off."""

    def __init__(
        self,
        field: str,
        names: Sequence[str],
        template: Template,
        found: Mapping[str, Sequence[JsonValue]],
        optional: Sequence[bool],
        worded: bool = True,
    ) -> None:
        self.field, self.names, self.template, self.found = field, names, template, found
        self.optional, self.worded = optional, worded
        self.languages = [learn([str(v) for v in found[n] if v != ""]) for n in names]
        self.in_words = [language.in_words() for language in self.languages]
        self.constants = [_constant(found[n]) for n in names]

    def _reading(
        self, source: Mapping[str, object], languages: Sequence[PartLanguage]
    ) -> tuple[str | None, ...] | None:
        """A reading of the old event's value; a part the old event had must read as it was."""
        whole = str(_at(source, self.field))
        for pieces in decompositions(whole, self.template, languages, self.optional):
            if all(
                (known := _at(source, name)) is None or str(known) == piece
                for name, piece in zip(self.names, pieces, strict=True)
            ) and all(
                constant is None or piece in (None, constant)
                for constant, piece in zip(self.constants, pieces, strict=True)
            ):
                return pieces
        return None

    def judge(self, sources: Events) -> tuple[str | None, Witness]:
        """Why the layout cannot rebuild every old value, and the pieces it must rebuild them
        from."""
        events: list[Mapping[str, object]] = []
        expected: list[JsonValue] = []
        missing: list[str] = []
        several: list[str] = []
        for source in sources:
            whole = str(_at(source, self.field))
            pieces = self._reading(source, self.languages)
            if pieces is None and self.worded:
                pieces = self._reading(source, self.in_words)
                several += [] if pieces is None else [whole]
            if pieces is None:
                missing.append(whole)
                continue
            event: dict[str, object] = {}
            for name, piece in zip(self.names, pieces, strict=True):
                _put(event, name, None if piece is None else _typed(piece, self.found[name]))
            events.append(event)
            expected.append(whole)
        problem = None
        if missing:
            problem = (
                f"cannot rebuild {len(missing)} of {len(sources)} old values of {self.field} "
                f"(e.g. {missing[0]!r}) from {list(self.names)} laid out as "
                f"{_shown(self.template)}"
            )
        elif several:
            problem = self._several_words(several, len(sources))
        return problem, Witness(tuple(events), tuple(expected), f"old values of {self.field}")

    def _several_words(self, several: Sequence[str], old: int) -> str | None:
        """Why old wholes that need a part of several words refuse the layout, or None."""
        new = max(len([v for v in self.found[n] if v != ""]) for n in self.names)
        chance = words_by_luck(len(several), old, new)
        if chance >= WORDS_CHANCE:
            return None
        return (
            f"cannot rebuild {len(several)} of {old} old values of {self.field} (e.g. "
            f"{several[0]!r}) from {list(self.names)} laid out as {_shown(self.template)} "
            f"unless a part holds several words, which no new part does (chance {chance:.3f})"
        )


MIN_CONSTANT = 3
"""Events a part must hold one value in before that value is all the part may read as."""


def _constant(found: Sequence[JsonValue]) -> str | None:
    """The one text a part holds in every new event (at least `MIN_CONSTANT`), or None: such a
    part (`type: contact`) reads as that text in the old values, never as any piece its
    characters would admit (the `u` of `usr_20031`).

    >>> _constant(["user", "user", "user"]), _constant(["user", "admin", "user"])
    ('user', None)
    """
    texts = {str(v) for v in found if v not in (None, "")}
    return texts.pop() if len(texts) == 1 and len(found) >= MIN_CONSTANT else None


def merge_candidates(
    field: str,
    new: str,
    old: Sequence[str],
    confidence: float,
    old_kinds: set[str],
    before: Events,
    after: Events,
) -> Iterator[Candidate]:
    """One candidate per order of the `old` parts and layout of `new` that gives `field` back."""
    wholes = [str(v) for v in values(after, new)]
    for order in permutations(old):
        parts = [[str(v) for v in values(before, name) if v != ""] for name in order]
        classes = [char_class(p) for p in parts]
        widths = [len(p[0]) if p and len({len(v) for v in p}) == 1 else None for p in parts]
        index = order.index(field)
        for template in layouts_of(wholes, parts):
            piece = _piece(ref(new), template, classes, index, widths, wholes)
            target, undone = restore(piece, old_kinds, ["text"], values(before, field), None)
            reason = f"merge: {field} is part {index + 1} of {new}"
            problem, witness = _merge_evidence(field, new, order, template, before, after)
            yield Candidate(
                target,
                f"{reason}; {undone}" if undone else reason,
                confidence,
                group=f"merge:{field}:{','.join(order)}",
                problem=problem or order_problem(order, old),
                witness=witness,
            )


def _merge_evidence(
    field: str, new: str, order: Sequence[str], template: Template, before: Events, after: Events
) -> tuple[str | None, Witness]:
    """Why the whole cannot be read back into parts one way, and the values the piece must give:
    the one reading of each new whole, and each old value from the whole its event's parts make.
    """
    parts = {n: [v for v in values(before, n) if v != ""] for n in order}
    languages = [learn([str(v) for v in parts[n]]) for n in order]
    optional = [any(_absent(_at(e, n)) for e in before) for n in order]
    index = order.index(field)
    events: list[Mapping[str, object]] = []
    expected: list[JsonValue] = []
    for whole in (str(v) for v in values(after, new)):
        readings = list(decompositions(whole, template, languages, optional))
        if len(readings) != 1:
            return _unreadable(whole, readings, order, template), Witness((), ())
        piece = readings[0][index]
        event: dict[str, object] = {}
        _put(event, new, whole)
        events.append(event)
        expected.append(None if piece is None else _typed(piece, parts[field]))
    for source in before:
        rebuilt = _rebuilt(source, order, template)
        old = _at(source, field)
        if rebuilt is not None and not _absent(old):
            event = {}
            _put(event, new, rebuilt)
            events.append(event)
            expected.append(old)  # type: ignore[arg-type]
    return None, Witness(tuple(events), tuple(expected), f"values of {field}")


def _unreadable(
    whole: str, readings: list[tuple[str | None, ...]], order: Sequence[str], template: Template
) -> str:
    if not readings:
        return f"cannot read {whole!r} as {list(order)} laid out as {_shown(template)}"
    shown = " or ".join(repr(r) for r in readings[:2])
    return (
        f"the split point of {whole!r} is ambiguous: it reads as {list(order)} = {shown}; "
        "the samples cannot decide which"
    )


def _rebuilt(source: Mapping[str, object], order: Sequence[str], template: Template) -> str | None:
    """The whole an old event's parts make under `template` (absent parts skipped), or None."""
    kept = [(i, str(v)) for i, n in enumerate(order) if not _absent(v := _at(source, n))]
    if not kept:
        return None
    text = kept[0][1]
    for i, piece in kept[1:]:
        separator = template.separators[i - 1] if i - 1 < len(template.separators) else ""
        text += separator + piece
    return template.prefix + text + template.suffix


def _shown(template: Template) -> str:
    """A template as text: '<1> <2>' for two parts joined by a space."""
    gaps = "".join(f"<{i + 1}>{sep}" for i, sep in enumerate(template.separators))
    return repr(f"{template.prefix}{gaps}<{len(template.separators) + 1}>{template.suffix}")
