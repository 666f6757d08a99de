"""Candidate targets for each old field a change affects: one per way the new events may carry it.

Each candidate is a DuckDB SQL expression over the new event that yields the OLD representation
(old name, unit, type, format); tools.healing.mapping verifies them against the samples.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pydantic import JsonValue

from core.contracts import Contract
from core.models import Detection
from tools.healing.representation import estimated_factor, literal, ref, restore
from tools.matching.samples import Events, kinds, paths, values
from tools.matching.successors import choose_successor
from tools.matching.templates import Template, char_class, python_class, templates
from tools.matching.unit_conversion import conversions

FALLBACK_CONFIDENCE = 0.5
_MOVES = ("rename", "nesting")
_DRIFTS = frozenset({"rename", "nesting", "unit_change", "type_change", "split", "merge", "remove"})
_CONTRACT_KINDS = {
    "integer": "int",
    "number": "float",
    "string": "str",
    "boolean": "bool",
    "timestamp": "iso",
    "date": "iso",
}


@dataclass(frozen=True)
class Candidate:
    """One way to compute an old field: the expression, why, and how sure the evidence is.

    `decisive` is False for candidates found only by looking for new fields of the same kind
    (no detection links them): those are never chosen alone.
    """

    target: str
    reason: str
    confidence: float = 1.0
    decisive: bool = True
    group: str = ""
    judged_unit: bool = False  # undoes a conversion a declared unit's judgement chose
    same_field: bool = False  # the field kept its name: its new values are other events' values


class _Evidence:
    def __init__(
        self, detections: Sequence[Detection], contract: Contract, before: Events, after: Events
    ) -> None:
        self.detections, self.contract = list(detections), contract
        self.before, self.after = before, after
        self.before_paths, self.after_paths = paths(before), paths(after)

    def about(self, field: str, *kinds_: str) -> list[Detection]:
        return [d for d in self.detections if d.field == field and d.kind in kinds_]

    def old_kinds(self, field: str) -> set[str]:
        found = kinds(values(self.before, field))
        declared = self.contract.field(field)
        if found or declared is None:
            return found
        return {_CONTRACT_KINDS[declared.type]} if declared.type in _CONTRACT_KINDS else set()

    def factors(
        self, names: set[str], old: list[JsonValue], new: list[JsonValue]
    ) -> list[tuple[float | None, float]]:
        """The detected conversion (factor, offset), then the power of ten the samples suggest.

        An affine conversion (a temperature scale) is never second-guessed by a power of ten. A
        change no single conversion explains (a currency rate, two units that fit) has none.
        """
        units = [d for d in self.detections if d.kind == "unit_change" and d.field in names]
        if not units:
            return [(None, 0.0)]
        detected = units[0]
        if detected.factor is None:
            return []
        if detected.offset or self._judged_unit(names):
            return [(detected.factor, detected.offset or 0.0)]
        estimated = estimated_factor(old, new)
        found = [f for f in (detected.factor, estimated) if f]
        return [(f, 0.0) for f in dict.fromkeys(found)] or [(None, 0.0)]

    def _judged_unit(self, names: set[str]) -> bool:
        """Whether a declared unit pint knows chose the conversion (exactly, by its own fit)."""
        declared = [self.contract.field(n) for n in names]
        return any(f is not None and f.unit and conversions(f.unit) for f in declared)

    def moved(
        self, field: str, base: str, reason: str, confidence: float, decisive: bool = True
    ) -> list[Candidate]:
        old = values(self.before, field)
        new = values(self.after, base)
        found = []
        judged = self._judged_unit({field, base})
        for factor, offset in self.factors({field, base}, old, new):
            target, undone = restore(ref(base), self.old_kinds(field), new, old, factor, offset)
            why = f"{reason}; {undone}" if undone else reason
            exact = judged and factor is not None
            found.append(
                Candidate(
                    target, why, confidence, decisive, judged_unit=exact, same_field=field == base
                )
            )
        return found


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
        if not any(re.search(python_class(c), sep) for c in classes):
            return f"split_part({whole}, {literal(sep)}, {index + 1})"
    return f"regexp_extract({whole}, {literal(template.pattern(classes))}, {index + 1})"


def _merge_order(ev: _Evidence, det: Detection, new: str, names: list[str]) -> list[str]:
    old = [n for n in names if n != new]
    if len(old) > 1:
        return old
    merged = {d.field for d in ev.detections if d.kind == "merge" and d.field and d.field != new}
    order = ev.contract.field_names
    return sorted(merged, key=lambda n: order.index(n) if n in order else len(order))


def _merge_parts(ev: _Evidence, field: str) -> Iterator[Candidate]:
    for det in ev.detections:
        names = [n for n in [det.field, *(det.to if isinstance(det.to, list) else [det.to])] if n]
        new = [n for n in names if n in ev.after_paths and n not in ev.before_paths]
        if det.kind != "merge" or field not in names or len(new) != 1 or field in new:
            continue
        old = _merge_order(ev, det, new[0], names)
        wholes = [str(v) for v in values(ev.after, new[0])]
        for order in itertools.permutations(old):
            parts = [[str(v) for v in values(ev.before, name)] for name in order]
            classes = [char_class(p) for p in parts]
            widths = [len(p[0]) if p and len({len(v) for v in p}) == 1 else None for p in parts]
            for template in templates(wholes, parts):
                index = order.index(field)
                piece = _piece(ref(new[0]), template, classes, index, widths, wholes)
                target, undone = restore(
                    piece, ev.old_kinds(field), ["text"], values(ev.before, field), None
                )
                reason = f"merge: {field} is part {index + 1} of {new[0]}"
                why = f"{reason}; {undone}" if undone else reason
                yield Candidate(target, why, det.confidence, group=f"merge:{field}")


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


def _layouts(wholes: list[str], texts: list[list[str]]) -> Iterator[tuple[Template, list[str]]]:
    """Templates of every whole; else of the wholes with the most parts (others lack one)."""
    found = list(templates(wholes, texts))
    if not found:
        runs = [len(re.findall(r"[^\w]+", w)) for w in wholes]
        fullest = [w for w, r in zip(wholes, runs, strict=True) if r == max(runs, default=0)]
        if fullest != wholes:
            wholes = fullest
            found = list(templates(wholes, texts))
    for template in found:
        yield template, wholes


def _split(ev: _Evidence, field: str) -> Iterator[Candidate]:
    for det in ev.about(field, "split"):
        parts = det.to if isinstance(det.to, list) else [det.to] if det.to else []
        found = [values(ev.after, p) for p in parts]
        texts = [[str(v) for v in f] for f in found]
        for template, wholes in _layouts([str(v) for v in values(ev.before, field)], texts):
            widths = _old_widths(template, wholes, texts)
            pieces = [
                _fit_width(_text(ref(part), found[i]), texts[i], widths[i])
                for i, part in enumerate(parts)
            ]
            reason = f"split: {field} joins {parts} as {template}"
            yield Candidate(
                _joined(template, pieces), reason, det.confidence, group=f"split:{field}"
            )


def _field_candidates(ev: _Evidence, field: str, claimed: set[str]) -> list[Candidate]:
    found: list[Candidate] = [*_split(ev, field), *_merge_parts(ev, field)]
    for det in ev.about(field, *_MOVES):
        if isinstance(det.to, str):
            found += ev.moved(field, det.to, f"{det.kind}: {field} -> {det.to}", det.confidence)
    if found:
        return found
    if field in ev.after_paths:
        return ev.moved(field, field, f"{field} kept its name", 1.0)
    fresh = sorted(ev.after_paths - ev.before_paths - claimed)
    found_values = {p: values(ev.after, p) for p in fresh}
    choice = choose_successor(
        field,
        values(ev.before, field),
        {p: v for p, v in found_values.items() if not any(isinstance(x, dict) for x in v)},
    )
    # the engine decides only a clear, strong successor (a sole one too); else all stay open
    return [
        candidate
        for pair in choice.ranked
        for candidate in ev.moved(
            field,
            pair.target,
            f"{pair.target} is new and {field} is gone: {choice.describe(pair.target)}",
            pair.score if choice.decisive else FALLBACK_CONFIDENCE,
            decisive=choice.decisive is not None,
        )
    ]


def candidates_for(
    detections: Sequence[Detection],
    contract: Contract,
    used_fields: Sequence[str],
    before: Events,
    after: Events,
) -> Iterator[tuple[str, list[Candidate]]]:
    """(field, candidates) for every used field the change affects, in the given order."""
    ev = _Evidence(detections, contract, before, after)
    claimed = {t for d in detections for t in ([d.to] if isinstance(d.to, str) else d.to or [])}
    for field in used_fields:
        mentioned = any(d.kind in _DRIFTS and d.field == field for d in detections) or any(
            d.kind == "merge" and isinstance(d.to, list) and field in d.to for d in detections
        )
        vanished = bool(after) and field in ev.before_paths and field not in ev.after_paths
        if mentioned or vanished:
            yield field, _field_candidates(ev, field, claimed)
