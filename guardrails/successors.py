"""Re-check every expression a patch substitutes for a field that vanished from the events.

Output comparisons (magnitudes, shapes) let a plausible impostor through, so each substitute
must also pass, on the samples:
- the mapper's own fit (kind, magnitude, shape of the old values);
- successor evidence when it reads only fields that existed before the change: it rebuilds the
  old values on the old events, or on redelivered events of the same entity;
- no other old field's values: a substitute carrying another field's values is a swap;
- the field's meaning (guardrails.successor_meaning): the codes the models compare it with,
  each entity's value, the range the contract declares;
- losslessness against what it reads (tools.healing.lossless): no precision, sign, zone or
  fraction lost, rounding (never flooring) to the old representation;
- exactness on repeated events: where an entity shows up before and after the change with
  everything else unchanged, the substitute gives the value it had.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from core.contracts import Contract, Pipeline
from core.errors import ReplayError, ToolError
from core.models import CheckResult, ModelPatch
from guardrails.compositions import composed
from guardrails.structure import read_paths, vanished_substitutions
from guardrails.successor_meaning import compared_codes, declared_range, entities_kept, new_codes
from guardrails.written_codes import case_lost, compared_operands, flag_guessed
from tools.healing.lossless import instant, number, numeric_loss, time_loss
from tools.healing.mapping import evaluate, fits
from tools.matching.samples import Events, kinds, paths, values

MIN_EVIDENCE_ROWS = 2
"""Old events on which a substitute must rebuild the old value to count as its successor."""
_NUMBERS = frozenset({"int", "float", "numeric"})


def _value_at(event: Mapping[str, object], path: str) -> object:
    value: object = event
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def same_value(first: object, second: object) -> bool:
    """Equal as the old representation means it: numbers by value, times by instant.

    >>> same_value(12.5, "12.50"), same_value("2026-01-01T10:00:00Z", "2026-01-01T11:00:00+01:00")
    (True, True)
    """
    if first == second:
        return True
    a, b = number(first), number(second)  # type: ignore[arg-type]
    if a is not None and b is not None:
        return abs(a - b) <= 1e-9 * max(1.0, abs(a))
    x, y = instant(first), instant(second)  # type: ignore[arg-type]
    return x is not None and y is not None and x.aware == y.aware and x.moment == y.moment


def repeated_pairs(
    before: Events, after: Events, key: str | None, common: set[str]
) -> list[tuple[int, int]]:
    """(before index, after index) of events that are one record sent again after the change.

    With a declared `key`, the key matches and so does every other field both shapes keep;
    without one, every kept field matches and they are at least three.
    """
    kept = sorted(p for p in common if not any(q.startswith(p + ".") for q in common))
    if (key is None and len(kept) < 3) or (key is not None and key not in kept):
        return []
    index: dict[tuple[str, ...], int] = {}
    for i, event in enumerate(before):
        index.setdefault(tuple(repr(_value_at(event, p)) for p in kept), i)
    found = []
    for j, event in enumerate(after):
        if key is not None and _value_at(event, key) is None:
            continue
        match = index.get(tuple(repr(_value_at(event, p)) for p in kept))
        if match is not None:
            found.append((match, j))
    return found


def _evaluated(target: str, events: Events) -> list[JsonValue] | str:
    try:
        return evaluate(target, events)
    except (ReplayError, ToolError) as error:
        return f"{target} cannot be evaluated: {error}"


def _swapped(field: str, computed: list[JsonValue], before: Events) -> str | None:
    """Another old field whose values the substitute carries, where it shares none of `field`'s."""
    distinct = {repr(v) for v in computed if not isinstance(v, bool | float)}
    if len(distinct) < 2:
        return None
    own = distinct & {repr(v) for v in values(before, field)}
    if own:
        return None
    for other in sorted(paths(before) - {field}):
        shared = distinct & {repr(v) for v in values(before, other)}
        if len(shared) >= 2 and 2 * len(shared) >= len(distinct):
            return other
    return None


class _Substitute:
    """One field -> expression substitution and the events it is judged on."""

    def __init__(
        self,
        field: str,
        target: str,
        before: Events,
        after: Events,
        contract: Contract | None,
        codes: frozenset[str] = frozenset(),
    ) -> None:
        self.field, self.target = field, target
        self.before, self.after, self.contract = before, after, contract
        self.codes = codes  # the literals the models compare the field with
        self.reads = read_paths(target)
        self.old_paths, self.new_paths = paths(before), paths(after)

    def problem(self) -> str | None:
        computed = _evaluated(self.target, self.after)
        if isinstance(computed, str):
            return computed
        old = values(self.before, self.field)
        found = [v for v in computed if v is not None]
        if not found and old:
            return f"{self.target} is NULL on every new event"
        misfit = fits(old, found, identifier=self._declared_key())
        if misfit and composed(self.field, self.target, self.before, self.after, self.contract):
            misfit = None  # exact on every old value as a split or merge: shapes say less
        if misfit and not (_identifiers(old) and _identifiers(found) and "around" in misfit):
            # a magnitude says nothing of identifiers: new ids may be far larger than old ones
            return f"{self.target} {misfit}"
        checks = (
            self._successor,
            self._swap,
            self._vocabulary,
            self._written,
            self._meaning,
            self._lossless,
            self._repeated,
        )
        return next((p for check in checks if (p := check(computed)) is not None), None)

    def _successor(self, computed: list[JsonValue]) -> str | None:
        del computed
        if not self.reads or not self.reads <= self.old_paths:
            return None  # it reads a field that came with the change
        rebuilt = _evaluated(self.target, self.before)
        if isinstance(rebuilt, str):
            return rebuilt
        pairs = [
            (r, _value_at(e, self.field))
            for r, e in zip(rebuilt, self.before, strict=True)
            if r is not None and _value_at(e, self.field) is not None
        ]
        if len(pairs) >= MIN_EVIDENCE_ROWS and all(same_value(r, o) for r, o in pairs):
            return None
        if self._repeated_matches() > 0:
            return None
        return (
            f"{self.target} reads only fields that existed before the change "
            f"({', '.join(sorted(self.reads))}) and does not rebuild {self.field}'s old values "
            "from them: nothing shows it is the successor"
        )

    def _swap(self, computed: list[JsonValue]) -> str | None:
        other = _swapped(self.field, [v for v in computed if v is not None], self.before)
        if other is None:
            return None
        return f"{self.target} carries the values of {other}, none of {self.field}'s"

    def _vocabulary(self, computed: list[JsonValue]) -> str | None:
        """A field of repeated categories must keep some of them: none at all is a new code list."""
        old = [v for v in values(self.before, self.field) if isinstance(v, str)]
        new = [v for v in computed if isinstance(v, str)]
        if not _categorical(old) or not _categorical(new) or set(old) & set(new):
            return None
        return (
            f"{self.target} writes none of {self.field}'s categories ({sorted(set(old))[:3]} ...):"
            " a new vocabulary, whose meaning a human must map"
        )

    def _written(self, computed: list[JsonValue]) -> str | None:
        """The old codes' letter case, and yes/no read from codes (guardrails.written_codes)."""
        old = values(self.before, self.field)
        if not self._declared_key() and (lost := case_lost(old, computed)):
            return f"{self.target} {lost}"
        sources: list[JsonValue] = []
        for operand in compared_operands(self.target):
            found = _evaluated(operand, self.after)
            sources += [] if isinstance(found, str) else found
        guess = flag_guessed(old, computed, sources)
        if guess is not None and self._repeated_matches() == 0:
            return f"{self.target} {guess}"
        return None

    def _declared_key(self) -> bool:
        """Whether the contract declares the field its key or unique: opaque identifiers."""
        if self.contract is None:
            return False
        declared = self.contract.field(self.field)
        return self.contract.key == self.field or (declared is not None and declared.unique)

    def _meaning(self, computed: list[JsonValue]) -> str | None:
        """Codes, entities' values and the declared range (guardrails.successor_meaning)."""
        return (
            new_codes(self.field, self.target, computed, self.codes, self.before, self.contract)
            or entities_kept(self.field, self.target, computed, self.before, self.after, same_value)
            or declared_range(self.field, self.target, computed, self.contract)
        )

    def _lossless(self, computed: list[JsonValue]) -> str | None:
        if len(self.reads) != 1:
            return None
        (source,) = self.reads
        sources = [_value_at(e, source) for e in self.after]
        raw: list[JsonValue] = [s if _scalar(s) else None for s in sources]  # type: ignore[misc]
        old = values(self.before, self.field)
        old_kinds, source_kinds = kinds(old), kinds([s for s in raw if s is not None])
        if "iso" in old_kinds | source_kinds:
            loss = time_loss(raw, computed, old)
        elif old_kinds <= _NUMBERS and source_kinds and source_kinds <= _NUMBERS:
            loss = numeric_loss(raw, computed, old)
        else:
            loss = None
        return f"{self.target} {loss}" if loss else None

    def _repeated_matches(self) -> int:
        key = self.contract.key if self.contract is not None else None
        pairs = repeated_pairs(self.before, self.after, key, self.old_paths & self.new_paths)
        computed = _evaluated(self.target, self.after)
        if isinstance(computed, str):
            return 0
        return sum(
            1
            for i, j in pairs
            if (old := _value_at(self.before[i], self.field)) is not None
            and same_value(old, computed[j])
        )

    def _repeated(self, computed: list[JsonValue]) -> str | None:
        key = self.contract.key if self.contract is not None else None
        for i, j in repeated_pairs(self.before, self.after, key, self.old_paths & self.new_paths):
            old = _value_at(self.before[i], self.field)
            if old is not None and not same_value(old, computed[j]):
                return (
                    f"{self.target} gives {computed[j]!r} on a record sent again after the "
                    f"change, where {self.field} was {old!r}"
                )
        return None


def _categorical(found: Sequence[str]) -> bool:
    """Text values that repeat: a code list, not free text or identifiers."""
    return len(found) >= 4 and len(set(found)) <= len(found) - 2


def _identifiers(found: Sequence[JsonValue]) -> bool:
    """Whole numbers, all distinct: keys whose size carries no meaning."""
    numbers = [v for v in found if isinstance(v, int) and not isinstance(v, bool)]
    return len(numbers) >= 2 and len(numbers) == len(found) == len(set(numbers))


def _scalar(value: object) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def successor_checks(
    pipeline: Pipeline,
    patches: Sequence[ModelPatch],
    dataset: str,
    before: Events,
    after: Events,
    contract: Contract | None = None,
) -> list[CheckResult]:
    """One CheckResult per patched model that substitutes a field gone from the new events."""
    if not before or not after:
        return []
    results = []
    vanished = paths(before) - paths(after)
    for model, found in vanished_substitutions(pipeline, patches, dataset, vanished):
        codes = compared_codes(pipeline, dataset, contract, found)
        problems = [
            f"{field}: {problem}"
            for field, targets in sorted(found.items())
            for target in sorted(targets)
            if (
                problem := _Substitute(
                    field, target, before, after, contract, codes[field]
                ).problem()
            )
        ]
        detail = "; ".join(problems) or f"substitutes for {sorted(found)} hold on the samples"
        results.append(CheckResult(name=f"successors:{model}", passed=not problems, detail=detail))
    return results
