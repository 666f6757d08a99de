"""Re-check a substitute for a field that a split or a merge took away against the composition
the samples show, so that a patch joining the parts in the wrong order, reading one part where
the field was several, or the whole where the field was one part, is refused with the reason.

The composition is learned as the mapper learns it (tools.healing.composition_candidates): it
must reproduce the old value exactly on every sample where the old value is known. The
substitute must give what that composition gives on every new event. Where the samples leave
several compositions (orders nothing decides, an ambiguous split point), a substitute cannot
be verified and is refused: a human decides.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from pydantic import JsonValue

from core.contracts import Contract, Pipeline
from core.errors import ReplayError, ToolError
from core.models import CheckResult, ModelPatch
from guardrails.dropped_parts import MIN_REBUILT, partial
from guardrails.structure import read_paths, vanished_substitutions
from tools.healing.candidate import Candidate
from tools.healing.composition_candidates import merge_candidates, split_candidates
from tools.healing.mapping import evaluate_many, reproduces
from tools.matching.samples import Events, kinds, paths, values

MAX_SETS = 16
"""Sets of parts tried: the fields the substitute reads, then pairs of fields that came new."""
MAX_PARTS = 4
"""Most new fields tried together as the parts of one split."""


def _scalar_fields(events: Events, fields: Sequence[str]) -> list[str]:
    return [f for f in fields if kinds(values(events, f)) and kinds(values(events, f)) <= _SCALARS]


_SCALARS = frozenset({"str", "int", "float", "iso", "numeric"})


def _declared(events: Events, fields: set[str]) -> list[str]:
    """`fields` in the order the events write them (first sighting)."""
    order: list[str] = []
    for event in events:
        order += [k for k in event if k in fields and k not in order]
    return order + sorted(fields - set(order))


class _Judge:
    """The compositions the samples show for one vanished field, and a verdict on a target."""

    def __init__(
        self, field: str, before: Events, after: Events, contract: Contract | None
    ) -> None:
        self.field, self.before, self.after = field, before, after
        self.old_paths, self.new_paths = paths(before), paths(after)
        self.contract = contract
        self.elsewhere: dict[str, set[str]] = {}
        """Other vanished fields the patch substitutes -> the fields their substitutes read."""

    def claimed(self, substitutes: Mapping[str, set[str]]) -> _Judge:
        """Take into account what the patch reads for the other vanished fields: a field that
        stands in for another one is no part of this one."""
        self.elsewhere = {
            f: set().union(*(read_paths(t) for t in targets))
            for f, targets in substitutes.items()
            if f != self.field
        }
        return self

    def candidates(self, target: str) -> list[Candidate]:
        reads = read_paths(target)
        fresh = sorted(self.new_paths - self.old_paths)
        if not reads & set(fresh):
            return []
        if len(reads) == 1 and next(iter(reads)).rsplit(".", 1)[-1] == self.field.rsplit(".")[-1]:
            return []  # the field moved into or out of an object under its own name: no parts
        if len(reads) == 1 and kinds(values(self.after, whole := next(iter(reads)))) == {"str"}:
            merged = self._merged(whole)
            if merged:
                return merged
        if kinds(values(self.before, self.field)) != {"str"}:
            return []
        declared = _declared(self.after, set(_scalar_fields(self.after, fresh)))
        taken = set().union(*self.elsewhere.values()) if self.elsewhere else set()
        sets = [
            _in(declared, {a, b})
            for i, a in enumerate(declared)
            for b in declared[i + 1 :]
            if {a, b} & reads and not ({a, b} - reads) & taken
        ]
        every = [f for f in declared if f in reads or f not in taken]
        if 2 < len(every) <= MAX_PARTS and reads <= set(every):
            sets.append(every)  # all the new fields as the parts: a split into three or four
        if len(reads) >= 2:
            order = [*_in(declared, reads), *sorted(reads - set(declared))]
            sets = [order, *(s for s in sets if set(s) != reads)]
        found: list[Candidate] = []
        for parts in sets[:MAX_SETS]:
            found += split_candidates(self.field, parts, 1.0, self.before, self.after)
        return found

    def _merged(self, whole: str) -> list[Candidate]:
        """Candidates reading the field as one piece of `whole`, with each other vanished field
        as the other part (in the contract's order)."""
        gone = {f for f in self.old_paths - self.new_paths if f != self.field}
        gone = set(_scalar_fields(self.before, sorted(gone)))
        gone = {g for g in gone if g not in self.elsewhere or whole in self.elsewhere[g]}
        names = self.contract.field_names if self.contract is not None else []
        old_kinds = kinds(values(self.before, self.field))
        found: list[Candidate] = []
        for other in sorted(gone)[:MAX_SETS]:
            parts = sorted(
                {self.field, other},
                key=lambda n: (names.index(n) if n in names else len(names), n),
            )
            found += list(
                merge_candidates(self.field, whole, parts, 1.0, old_kinds, self.before, self.after)
            ) or _in_part(self.field, whole, parts, old_kinds, self.before, self.after)
        return found

    def problem(self, target: str) -> str | None:
        options = self.candidates(target)
        if not options:
            return None
        targets = list(dict.fromkeys([target, *(o.target for o in options)]))
        try:
            computed = dict(zip(targets, evaluate_many(targets, self.after), strict=True))
        except (ReplayError, ToolError) as error:
            return f"{target} cannot be evaluated: {error}"
        fitting: list[tuple[Candidate, list[JsonValue]]] = []
        refused: list[tuple[Candidate, str]] = []
        for option in options:
            wrong = self._refusal(option, computed[option.target]) or _unseen(option)
            if wrong is None:
                fitting.append((option, computed[option.target]))
            else:
                refused.append((option, wrong))
        verdict = _verdict(self.field, target, computed, fitting, refused)
        if verdict is not None or fitting:
            return verdict
        total = len([v for v in values(self.before, self.field) if v is not None])
        found = (partial(self.field, target, computed[target], c, total) for c, _ in refused)
        return next((p for p in found if p is not None), None)

    def _refusal(self, option: Candidate, found: list[JsonValue]) -> str | None:
        if option.problem is not None:
            return option.problem
        if all(v is None for v in found) and values(self.before, self.field):
            return "is NULL on every new event"
        if option.witness is None or not option.witness.events:
            return "has nothing to be checked on"
        return reproduces(option.target, option.witness)


def _in_part(
    field: str, whole: str, parts: list[str], old_kinds: set[str], before: Events, after: Events
) -> list[Candidate]:
    """Merge candidates learned on the most new events whose `whole` is written with the same
    marks (at least half of them), when no layout reads every whole: each is refused, naming a
    whole it cannot read, and what it rebuilds is evidence against a substitute (dropped_parts).
    """
    groups: dict[tuple[str, ...], list[Mapping[str, object]]] = {}
    for event in after:
        for found in values([event], whole):
            groups.setdefault(tuple(re.findall(r"[^\w]+", str(found))), []).append(event)
    largest = max(groups.values(), key=len, default=[])
    if len(largest) == len(after) or len(largest) < max(MIN_REBUILT, len(after) / 2):
        return []
    other = next(str(v) for e in after if e not in largest for v in values([e], whole))
    problem = f"reads {len(largest)} of {len(after)} new values of {whole}, not {other!r}"
    return [
        replace(c, problem=c.problem or problem)
        for c in merge_candidates(field, whole, parts, 1.0, old_kinds, before, largest)
    ]


def _unseen(option: Candidate) -> str | None:
    """A part that none of the events it was checked on carries (NULL or empty on all) is no
    evidence of a composition: that the candidate reproduces the old values there says nothing
    about that part."""
    events = option.witness.events if option.witness is not None else ()
    for path in sorted(read_paths(option.target)):
        if events and not any(v not in (None, "") for v in values(events, path)):
            return f"reads {path}, which none of the events it was checked on carries"
    return None


def composed(
    field: str, target: str, before: Events, after: Events, contract: Contract | None
) -> bool:
    """Whether `target` is the one composition of the vanished `field` the samples show."""
    judge = _Judge(field, before, after, contract)
    return bool(judge.candidates(target)) and judge.problem(target) is None


def _in(order: Sequence[str], fields: set[str]) -> list[str]:
    return [f for f in order if f in fields]


def _verdict(
    field: str,
    target: str,
    computed: dict[str, list[JsonValue]],
    fitting: list[tuple[Candidate, list[JsonValue]]],
    refused: list[tuple[Candidate, str]],
) -> str | None:
    got = computed[target]
    distinct = {repr(found) for _, found in fitting}
    if len(distinct) > 1 and len(read_paths(target)) == 1 and repr(got) in distinct:
        return None  # the field as it is fits: the simplest reading, no composition to decide
    if len(distinct) > 1:
        shown = " / ".join(sorted({c.target for c, _ in fitting}))
        return (
            f"the samples do not decide how {field} is composed ({shown} all reproduce its "
            f"old values), so {target} cannot be verified"
        )
    if not fitting:
        return _unverified(target, computed, refused)
    option, wanted = fitting[0]
    if repr(got) == repr(wanted):
        return None
    for candidate, reason in refused:
        if repr(computed[candidate.target]) == repr(got):
            return f"{target} is the composition {candidate.reason}, refused: {reason}"
    i = next(i for i, (g, w) in enumerate(zip(got, wanted, strict=True)) if g != w)
    return (
        f"{target} gives {got[i]!r} where the composition the samples show "
        f"({option.reason}) gives {wanted[i]!r}"
    )


def _unverified(
    target: str, computed: dict[str, list[JsonValue]], refused: list[tuple[Candidate, str]]
) -> str | None:
    """Why `target` is refused when no composition rebuilds the old values, or None.

    A target that computes what a refused composition computes is that composition (whatever
    its spelling), so the refusal holds for it; one that joins two or more of the parts the
    compositions read is a composition the samples cannot verify. Anything else (a plain rename
    beside an unrelated new field) is left to the other checks.
    """
    got, reads = computed[target], read_paths(target)
    for candidate, reason in refused:
        same = repr(computed[candidate.target]) == repr(got)
        if candidate.target == target or (same and read_paths(candidate.target) == reads):
            return f"{target} is the composition {candidate.reason}, refused: {reason}"
    parts = set().union(*(read_paths(c.target) for c, _ in refused)) if refused else set()
    joined = reads & parts
    if len(joined) >= 2:
        return (
            f"{target} joins {sorted(joined)}, but no composition of them rebuilds the old values "
            "on the samples, so it cannot be verified"
        )
    return None


def composition_checks(
    pipeline: Pipeline,
    patches: Sequence[ModelPatch],
    dataset: str,
    before: Events,
    after: Events,
    contract: Contract | None = None,
) -> list[CheckResult]:
    """One CheckResult per patched model that substitutes a field a split or merge took away."""
    if not before or not after:
        return []
    results = []
    vanished = paths(before) - paths(after)
    for model, found in vanished_substitutions(pipeline, patches, dataset, vanished):
        problems = [
            f"{field}: {problem}"
            for field, targets in sorted(found.items())
            for target in sorted(targets)
            if (problem := _Judge(field, before, after, contract).claimed(found).problem(target))
        ]
        detail = "; ".join(problems) or f"substitutes for {sorted(found)} fit their parts"
        results.append(
            CheckResult(name=f"compositions:{model}", passed=not problems, detail=detail)
        )
    return results
