"""Infer how each old field the models use is computed from the new events, from detections and
samples, verifying every candidate expression in DuckDB against the old values.

Targets are DuckDB SQL over the new event (tools.sql.patch transpiles them). Nothing is guessed:
two candidates that fit equally are reported as ambiguous, a field with none as unresolved.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.contracts import Contract, Pipeline
from core.errors import ReplayError, ToolError
from core.models import Detection, FieldMapping, Refusal, SchemaMapping
from tools.healing.candidate import Candidate, Witness
from tools.healing.mapping_rules import candidates_for
from tools.matching.free_text import comparable_as_free_text
from tools.matching.samples import Events, interleaved, kinds, shape, typical, values
from tools.matching.text_difference import text_difference
from tools.matching.unit_fit import MIN_VALUES, apart
from tools.sql.replay import run_models

MAGNITUDE_TOLERANCE = 5.0
"""Largest ratio between typical absolute old values and values a candidate computes."""
CONFIDENCE_MARGIN = 0.2
"""How much surer one fitting candidate must be than the next to be chosen over it."""
UNVERIFIED_CONFIDENCE = 0.7
"""Confidence factor for a candidate the samples could not confirm (too few values)."""


class MappingInference(BaseModel):
    """The inferred mapping, plus what could not be decided."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mapping: SchemaMapping = Field(default_factory=SchemaMapping)
    unresolved: list[str] = Field(
        default_factory=list, description="Old fields the models use that nothing carries."
    )
    ambiguous: dict[str, list[str]] = Field(
        default_factory=dict, description="Old field -> candidate targets that fit equally."
    )
    notes: list[str] = Field(default_factory=list, description="Why each decision was made.")
    refused: list[Refusal] = Field(
        default_factory=list, description="Candidates that failed the samples, and why."
    )


def evaluate(expression: str, events: Events) -> list[JsonValue]:
    """Values of a DuckDB SQL expression over `events` (one per event, nulls included)."""
    try:
        probe = exp.select(exp.alias_(exp.maybe_parse(expression, dialect="duckdb"), "v"))
        sql = probe.from_("events").sql(dialect="duckdb")
    except SqlglotError as error:
        raise ToolError(f"candidate {expression!r} is not a DuckDB expression: {error}") from error
    rows = run_models(Pipeline(models={"probe": sql}), {"events": list(events)})
    return [row["v"] for row in rows["probe"]]


def evaluate_many(expressions: Sequence[str], events: Events) -> list[list[JsonValue]]:
    """Values of several DuckDB SQL expressions over `events` in one query, one list each."""
    if not expressions:
        return []
    try:
        columns = [
            exp.alias_(exp.maybe_parse(e, dialect="duckdb"), f"v{i}")
            for i, e in enumerate(expressions)
        ]
        sql = exp.select(*columns).from_("events").sql(dialect="duckdb")
    except SqlglotError as error:
        raise ToolError(f"candidates {list(expressions)!r} are not DuckDB: {error}") from error
    rows = run_models(Pipeline(models={"probe": sql}), {"events": list(events)})
    return [[row[f"v{i}"] for row in rows["probe"]] for i in range(len(expressions))]


def _whole_seconds(text: str) -> str:
    return re.sub(r"(\d{2}:\d{2}:\d{2})[.,]\d+", r"\1", text)


LOST_SHARE = 0.25
"""Share of old values holding a punctuation mark above which a substitute must write it too."""
LOST_CHANCE = 0.05
"""Free text: largest chance that no new value holds a mark by luck, for the mark to be lost."""


def lost_marks(old: Sequence[JsonValue], new: Sequence[JsonValue]) -> str:
    """Punctuation (or spaces) that many old values held and no new value writes: a dropped
    part, or another way of writing the values (`Food and Drink` as `FOOD_AND_DRINK`).

    >>> lost_marks(["/search?q=a", "/cart", "/s?q=b&p=2", "/x"], ["/search", "/cart", "/y"])
    '=?'
    >>> lost_marks(["Food and Drink", "Shops", "Gas Stations"], ["FOOD_AND_DRINK", "SHOPS"])
    ' '
    >>> lost_marks(["a-b", "c"], ["d", "e"])
    ''
    """
    texts, written = [str(v) for v in old], "".join(str(v) for v in new)
    marks = {" " if c.isspace() else c for t in texts for c in t if not c.isalnum()}
    written = written.replace("\t", " ").replace("\n", " ")
    lost = [
        c
        for c in sorted(marks)
        if c not in written
        and (held := sum(c in t for t in texts)) >= 2
        and held >= LOST_SHARE * len(texts)
    ]
    return "".join(lost)


def fits(
    old: Sequence[JsonValue],
    new: Sequence[JsonValue],
    magnitude: Literal["typical", "spread", "judged"] = "typical",
    identifier: bool = False,
) -> str | None:
    """Why values `new` cannot be the old field's values `old`, or None when they fit.

    `magnitude`: "typical" compares typical values (another field's values must sit near the
    old ones); "spread" asks only that no move beyond natural variation happened (the same field
    written another way: its samples are different events); "judged" skips it (a unit judgement
    already placed the values, tools.matching.unit_fit). An `identifier` (a declared key whose
    values are all distinct: see `opaque_identifiers`) is judged by its kind alone: the size,
    marks and outline of opaque ids mean nothing (new ids may be longer, or written with `-`
    where the old had `_`)."""
    old_kinds, new_kinds = kinds(old), kinds(new)
    if not old or not new:
        return None
    if old_kinds != new_kinds and not old_kinds <= {"int", "float"} >= new_kinds:
        return f"computes {sorted(new_kinds)} values where the field held {sorted(old_kinds)}"
    if identifier and opaque_identifiers(old) and opaque_identifiers(new):
        return None
    if (constant := _constant_where_values_varied(old, new)) is not None:
        return constant
    few = min(len(_floats(old)), len(_floats(new))) < MIN_VALUES
    if old_kinds <= {"int", "float"} and (
        magnitude == "typical" or (magnitude == "spread" and few)
    ):
        a, b = typical(old), typical(new)
        # medians of small samples of a heavy-tailed field differ 5x by chance; a move shows
        # as samples that do not interleave, or sit apart beyond their spread
        alike = interleaved(old, new) and apart(_floats(old), _floats(new)) is None
        if a and b and max(a, b) / min(a, b) > MAGNITUDE_TOLERANCE and not alike:
            return f"computes values around {b:g} where the field held values around {a:g}"
    if old_kinds <= {"int", "float"} and magnitude == "spread":
        moved = apart(_floats(old), _floats(new))
        if moved is not None:
            return f"computes values unlike the field's: {moved}"
    if old_kinds <= {"str", "iso", "numeric"}:
        return _text_problem(old_kinds, [str(v) for v in old], [str(v) for v in new])
    return None


CONSTANT_CHANCE = 0.05
"""Largest chance, from the old values' spread, that every new value is one by luck."""


def _constant_where_values_varied(old: Sequence[JsonValue], new: Sequence[JsonValue]) -> str | None:
    """Why one value in every new event cannot stand for a field whose values varied: the chance
    that the old field wrote its commonest value len(new) times running is below
    CONSTANT_CHANCE (a constant field, a version or a flag, taken for the successor).

    >>> _constant_where_values_varied([1, 6, 3, 3, 1, 6], [2, 2, 2, 2, 2, 2])
    'computes 2 in all 6 events, where the field held 3 values'
    >>> _constant_where_values_varied(["a", "a", "a", "a", "b"], ["a", "a", "a"]) is None
    True
    """
    written = Counter(json.dumps(v, sort_keys=True) for v in old)
    if len(written) < 2 or len(set(json.dumps(v, sort_keys=True) for v in new)) != 1:
        return None
    commonest = max(written.values()) / len(old)
    if commonest ** (len(new) - 1) >= CONSTANT_CHANCE:
        return None
    return (
        f"computes {new[0]!r} in all {len(new)} events, where the field held {len(written)} values"
    )


def _text_problem(old_kinds: set[str], old: list[str], new: list[str]) -> str | None:
    """Why text `new` cannot be the old field's text `old`: a lost part, or another look."""
    free = old_kinds == {"str"} and comparable_as_free_text(old, new)
    if old_kinds == {"str"} and not free and (lost := lost_marks(old, new)):
        return f"never writes {lost!r}, which several of the field's values held: a part is lost"
    # fractional seconds are precision, not a different shape: a fix may keep them
    outline = shape if old_kinds != {"iso"} else (lambda text: shape(_whole_seconds(text)))
    return text_difference(old, new, outline)


def _same(got: object, wanted: object) -> bool:
    """Equal as values: text exactly, numbers by value."""
    if got == wanted:
        return True
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (got, wanted))
    return numbers and float(got) == float(wanted)  # type: ignore[arg-type]


def reproduces(target: str, witness: Witness) -> str | None:
    """Why `target` does not give exactly the witness's values on its events, or None."""
    if not witness.events:
        return None
    try:
        got = evaluate(target, witness.events)
    except (ReplayError, ToolError) as error:
        return f"cannot be evaluated on the {witness.what}: {error}"
    wrong = [(g, w) for g, w in zip(got, witness.expected, strict=True) if not _same(g, w)]
    if not wrong:
        return None
    g, w = wrong[0]
    return (
        f"does not reproduce {len(wrong)} of {len(got)} {witness.what} exactly "
        f"(gives {g!r} where it was {w!r})"
    )


def candidate_problem(
    field: str, candidate: Candidate, before: Events, after: Events
) -> str | None:
    """Why `candidate` cannot be the old field on the samples, or None.

    A candidate with a witness is judged by exactness on it; the coarse comparisons of shapes
    and marks (`fits`) judge only candidates that come without one.
    """
    if candidate.problem is not None:
        return candidate.problem
    try:
        new = [v for v in evaluate(candidate.target, after) if v is not None]
    except (ReplayError, ToolError) as error:
        return f"cannot be evaluated on the new events: {error}"
    if after and not new and values(before, field):
        return "is NULL on every new event"
    if candidate.witness is not None and candidate.witness.events:
        return reproduces(candidate.target, candidate.witness)
    magnitude: Literal["typical", "spread", "judged"] = "typical"
    if candidate.judged_unit:
        magnitude = "judged"
    elif candidate.same_field:
        magnitude = "spread"
    return fits(values(before, field), new, magnitude, candidate.identifier)


def opaque_identifiers(found: Sequence[JsonValue]) -> bool:
    """At least two values, all distinct, whole numbers or text without spaces: the values
    of a key, which name events and carry no parts.

    >>> opaque_identifiers(["ChIJN1t_tDeuEmsR", "ChIJ3S-JXmauEmsR"]), opaque_identifiers([7, 7])
    (True, False)
    >>> opaque_identifiers(["Ada Lovelace", "Alan Turing"]), opaque_identifiers([1.5, 2.5])
    (False, False)
    """
    ids = [
        v
        for v in found
        if (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, str) and v and not any(c.isspace() for c in v))
    ]
    return len(ids) >= 2 and len(ids) == len(found) == len({repr(v) for v in ids})


def _floats(found: Sequence[JsonValue]) -> list[float]:
    return [float(v) for v in found if isinstance(v, int | float) and not isinstance(v, bool)]


def _decide(
    field: str,
    options: list[Candidate],
    before: Events,
    after: Events,
    notes: list[str],
    refused: list[Refusal],
) -> FieldMapping | list[str] | None:
    fitting: list[Candidate] = []
    for option in options:
        problem = candidate_problem(field, option, before, after)
        if problem is None:
            fitting.append(option)
        else:
            notes.append(f"{field}: rejected {option.target!r} ({option.reason}): it {problem}")
            refused.append(
                Refusal(field=field, candidate=option.target, reason=f"{option.reason}: {problem}")
            )
    if not fitting:
        return None
    # alternatives from one hypothesis (layouts of a split, say) come best first: keep the first
    groups: set[str] = set()
    firsts: list[Candidate] = []
    for option in fitting:
        if not option.group or option.group not in groups:
            firsts.append(option)
            groups.add(option.group)
    fitting = firsts
    targets = sorted({f.target for f in fitting})
    if any(not f.decisive for f in fitting):
        notes.extend(f"{field}: candidate {f.target!r} ({f.reason})" for f in fitting)
        return targets
    ranked = sorted(fitting, key=lambda f: -f.confidence)
    if len(targets) > 1 and ranked[0].confidence - ranked[1].confidence < CONFIDENCE_MARGIN:
        return targets
    chosen = ranked[0]
    verified = bool(values(before, field)) and bool(after)
    confidence = chosen.confidence * (1.0 if verified else UNVERIFIED_CONFIDENCE)
    check = "verified on the samples" if verified else "not verifiable: too few samples"
    notes.append(f"{field}: {chosen.target!r} ({chosen.reason}; {check})")
    return FieldMapping(
        source=field,
        target=chosen.target,
        confidence=round(confidence, 3),
        rationale=f"{chosen.reason}; {check}",
    )


def unexplained_unit(detections: Sequence[Detection], field: str) -> str | None:
    """Why `field` cannot be converted back: it left its unit, and no single conversion fits."""
    for d in detections:
        if d.kind == "unit_change" and d.field == field and d.factor is None:
            guess = "a rate no contract states is a guess"
            return f"{d.evidence.note}; no conversion is assumed ({guess})"
    return None


def infer_mapping(
    detections: Sequence[Detection],
    contract: Contract,
    used_fields: set[str],
    before: Events,
    after: Events,
) -> MappingInference:
    """Map each used old field the change affects onto the new events, or say why not."""
    entries: list[FieldMapping] = []
    unresolved: list[str] = []
    ambiguous: dict[str, list[str]] = {}
    notes: list[str] = []
    refused: list[Refusal] = []
    taken: set[str] = set()
    for field, options in candidates_for(detections, contract, sorted(used_fields), before, after):
        if not options:
            unresolved.append(field)
            unexplained = unexplained_unit(detections, field)
            if unexplained is not None:
                refused.append(Refusal(field=field, candidate=field, reason=unexplained))
            notes.append(f"{field}: {unexplained or 'no field of the new events carries it'}")
            continue
        free = [o for o in options if o.target not in taken] or options
        decision = _decide(field, free, before, after, notes, refused)
        if isinstance(decision, FieldMapping):
            entries.append(decision)
            taken.add(decision.target)
        elif isinstance(decision, list):
            ambiguous[field] = decision
            notes.append(f"{field}: {decision} fit equally; a human or the model must choose")
        else:
            unresolved.append(field)
    return MappingInference(
        mapping=SchemaMapping(entries=entries),
        unresolved=unresolved,
        ambiguous=ambiguous,
        notes=notes,
        refused=refused,
    )
