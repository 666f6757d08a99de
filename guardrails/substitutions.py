"""Check each column a patch substitutes against the events: a field may only be transformed
when the producer changed how it is written, and then the transform must keep its values."""

from __future__ import annotations

import re
from collections.abc import Sequence

import sqlglot
from pydantic import JsonValue
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.contracts import Contract, Pipeline
from core.errors import ReplayError, ToolError
from core.models import CheckResult, ModelPatch, SchemaMapping
from guardrails.crossed import crossed_substitutes
from guardrails.null_fills import filled_constant
from guardrails.structure import field_substitutions
from guardrails.truncation import truncation_loss
from tools.healing.durations import all_durations, durations_lost
from tools.healing.mapping import evaluate, evaluate_many, fits
from tools.healing.recipes import omitted_zero, zero_restored
from tools.healing.recode import is_recode, known_domain, recode_problem
from tools.matching.samples import Events, flags, kinds, values
from tools.matching.unit_change import UnitEstimate, estimate_unit
from tools.matching.unit_conversion import Conversion
from tools.matching.unit_fit import MIN_VALUES
from tools.monitoring.unit_labels import labelled_conversion
from tools.profiling.batch_profile import NumericStats

_NUMBERS = frozenset({"int", "float"})


def _restores_omitted_zero(field: str, target: str, before: Events, after: Events) -> bool:
    """Whether `target` puts back the zero value the producer now omits (and nothing else)."""
    zero = omitted_zero(field, before, after)
    if zero is None:
        return False
    try:
        wanted = sqlglot.parse_one(zero_restored(field, zero), read="duckdb")
        return sqlglot.parse_one(target, read="duckdb") == wanted
    except SqlglotError:
        return False


def _recodes_new_values(
    field: str, target: str, before: Events, after: Events, contract: Contract | None, vouched: bool
) -> bool:
    """Whether `target` maps values outside the field's domain into it, keeping known ones.

    Only on evidence (`vouched`: a verified fix or the model's proposal for a human to approve);
    a recode nobody vouches for is a guess about what the new value means.
    """
    declared = contract.field(field) if contract is not None else None
    if not vouched:
        return False
    if contract is None or declared is None or not declared.enum or not is_recode(target, field):
        return False  # only a declared enum is recoded, and only value for value
    domain = {repr(v) for v in known_domain(contract, field, before)}
    if not any(repr(v) not in domain for v in values(after, field)):
        return False  # nothing new to recode
    return recode_problem(field, target, contract, before, after) is None


def _unit(contract: Contract | None, field: str) -> str | None:
    declared = contract.field(field) if contract is not None else None
    return declared.unit if declared is not None else None


def _reads(target: str, field: str) -> bool:
    """True when the DuckDB expression `target` reads `field` (or the struct holding it)."""
    tree = sqlglot.parse_one(target, read="duckdb")
    paths = {".".join(p.name for p in c.parts).lower() for c in tree.find_all(exp.Column)}
    return field.lower() in paths or field.split(".")[0].lower() in paths


def _stats(found: Sequence[JsonValue]) -> NumericStats | None:
    numbers = [float(v) for v in found if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers:
        return None
    return NumericStats(
        count=len(numbers), min=min(numbers), max=max(numbers), total=sum(numbers), sample=numbers
    )


def _conversion(
    old: Sequence[JsonValue], new: Sequence[JsonValue], unit: str | None
) -> UnitEstimate | None:
    before, after = _stats(old), _stats(new)
    return estimate_unit(before, after, unit) if before is not None and after is not None else None


def _undoes(
    field: str, target: str, after: Events, old: Sequence[JsonValue], found: UnitEstimate
) -> str | None:
    """Why `target` does not give back `(new - offset) / factor` on every event, or None."""
    try:
        computed = evaluate(target, after)
    except (ReplayError, ToolError) as error:
        return f"{target} cannot be evaluated: {error}"
    rows = [e for e in (values([event], field) for event in after)]
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in old)
    for raw, got in zip(rows, computed, strict=True):
        if not raw or not isinstance(raw[0], int | float) or isinstance(raw[0], bool):
            continue
        wanted = (float(raw[0]) - found.offset) / (found.factor or 1.0)
        allowed = 0.5 if whole else 1e-6 * max(1.0, abs(wanted))
        if not isinstance(got, int | float) or abs(float(got) - wanted) > allowed:
            return (
                f"{target} gives {got!r} for {raw[0]!r}, not {wanted:g}: it does not undo the "
                f"conversion the samples fit (x {found.factor:g} + {found.offset:g})"
            )
    return None


def _judgeable(found: Sequence[JsonValue]) -> bool:
    """Numbers enough (written as numbers) for the samples to judge a conversion."""
    return bool(found) and kinds(found) <= _NUMBERS and len(found) >= MIN_VALUES


def _raw(events: Events, field: str) -> list[JsonValue]:
    """The field's value on every event, None where it is missing (one per event)."""
    return [found[0] if (found := values([e], field)) else None for e in events]


def _estimate(stated: Conversion) -> UnitEstimate:
    """The conversion a unit label states, as the samples' estimate would be written."""
    return UnitEstimate(factor=stated.factor, offset=stated.offset, confidence=1.0)


_GROUPED = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?|[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")


def _numbers_in_text(found: Sequence[JsonValue]) -> list[float] | None:
    """The numbers that text values spell (`"1,083.95"`, `"7"`), None unless all are such text.

    The kind lattice: integer < decimal < numeric text < text with thousands separators; a
    rewrite of such a field must give back every number whole, separators read, no digit lost.
    """
    texts = [v.strip() for v in found if isinstance(v, str)]
    if not texts or len(texts) != len(found) or not all(_GROUPED.fullmatch(t) for t in texts):
        return None
    return [float(t.replace(",", "")) for t in texts]


def _problem(
    field: str,
    target: str,
    before: Events,
    after: Events,
    contract: Contract | None = None,
    vouched: bool = False,
) -> str | None:
    unit = _unit(contract, field)
    old, new = values(before, field), values(after, field)
    if not old or not new or not _reads(target, field):
        return None  # a new field, or nothing to compare: the replay comparisons judge it
    if _restores_omitted_zero(field, target, before, after):
        return None
    if (constant := filled_constant(target, field)) is not None:
        return (
            f"{field} is rewritten as {target}, which writes {constant} wherever {field} is "
            "missing: nothing shows the producer omits that value, so the fill is a guess"
        )
    if _recodes_new_values(field, target, before, after, contract, vouched):
        return None
    if not vouched and is_recode(target, field):
        return (
            f"{field} is recoded as {target} on no evidence: recoding a value is a guess about "
            "what it means unless a verified fix or a model's proposal for a human vouches for it"
        )
    stated = labelled_conversion(contract, field, before, after)
    conversion = _conversion(old, new, unit) if stated is None else _estimate(stated)
    if conversion is None and fits(old, new) is None:
        return f"{field} is rewritten as {target} although its values did not change"
    if conversion is None and _judgeable(old) and _judgeable(new):
        # numbers still written as numbers, enough to judge a conversion: only one the samples
        # fit changes them; medians of samples of different events differ by nature
        return (
            f"{field} is rewritten as {target}, but no conversion fits its values: the samples "
            "differ no more than samples of different events of one field do"
        )
    if conversion is not None and conversion.factor is None:
        return f"{field} is rewritten as {target}, but no single conversion fits: {conversion.note}"
    if conversion is not None and (wrong := _undoes(field, target, after, old, conversion)):
        return wrong
    expected_flags = flags(new) if kinds(old) == {"bool"} else None
    if expected_flags is not None:
        try:
            computed_flags = [v for v in evaluate(target, after) if v is not None]
        except (ReplayError, ToolError) as error:
            return f"{target} cannot be evaluated: {error}"
        if computed_flags != expected_flags:
            return f"{target} does not read the flags {field} now carries as text the usual way"
    if kinds(old) <= _NUMBERS and all_durations(values(after, field)):
        try:
            lost = durations_lost([v for v in _raw(after, field)], evaluate(target, after))
        except (ReplayError, ToolError) as error:
            return f"{target} cannot be evaluated: {error}"
        if lost:
            return f"{target} {lost}"
    if kinds(old) <= _NUMBERS and (numbers := _numbers_in_text(new)) is not None:
        try:
            computed = evaluate(target, after)
        except (ReplayError, ToolError) as error:
            return f"{target} cannot be evaluated: {error}"
        got = [v for v in computed if v is not None]
        misses = [
            (g, x)
            for g, x in zip(got, numbers, strict=False)
            if not isinstance(g, int | float) or abs(float(g) - x) > 1e-9 * max(1.0, abs(x))
        ]
        if len(got) != len(numbers) or misses:
            example = f" (gives {misses[0][0]!r} for {misses[0][1]:g})" if misses else ""
            return f"{target} does not keep the numbers {field} now carries as text{example}"
    return None


def _crossings(found: dict[str, set[str]], before: Events, after: Events) -> list[str]:
    """Pairs of substitutes that read each other's successor (guardrails.crossed)."""
    single = sorted({t for targets in found.values() if len(targets) == 1 for t in targets})
    if len(single) < 2 or not before or not after:
        return []
    try:
        computed = dict(zip(single, evaluate_many(single, after), strict=True))
    except (ReplayError, ToolError):
        return []  # a substitute that cannot be evaluated is refused on its own
    return crossed_substitutes(found, computed, before)


def substitution_checks(
    pipeline: Pipeline,
    patches: Sequence[ModelPatch],
    dataset: str,
    before: Events,
    after: Events,
    contract: Contract | None = None,
    mapping: SchemaMapping | None = None,
) -> list[CheckResult]:
    """One CheckResult per patched model: are its substitutions justified by the events?

    `mapping` is what the patch was made from: its entries from the knowledge base or the model
    are the evidence a recode of new enum values needs.
    """
    vouched = {e.source for e in (mapping.entries if mapping else []) if e.origin != "rules"}
    results = []
    for patch in patches:
        original = pipeline.models.get(patch.model)
        if original is None:
            continue
        found = field_substitutions(original, patch.after_sql, pipeline.dialect, dataset)
        problems = [
            problem
            for field, targets in sorted(found.items())
            for target in sorted(targets)
            if (
                problem := truncation_loss(target, after, values(before, field))
                or _problem(field, target, before, after, contract, field in vouched)
            )
        ]
        problems += _crossings(found, before, after)
        detail = "; ".join(problems) or f"substitutions {sorted(found)} fit the new events"
        results.append(
            CheckResult(name=f"substitutions:{patch.model}", passed=not problems, detail=detail)
        )
    return results
