"""One score for `source column -> target column` from name and value evidence, with reasons.

Names and values are combined as independent evidence (1 - (1 - name)(1 - value share)), with
values capped at `VALUE_WEIGHT`: shared values alone never reach what a strong name reaches
alone, so value overlap never beats strong name evidence on its own. A column without values is
judged on its name alone. Values of kinds that cannot be the same (numbers against words) weaken
even a good name.
"""

from __future__ import annotations

from dataclasses import dataclass

from tools.matching.value_evidence import ColumnValues, ValueEvidence, compare_values

STRONG_NAME = 0.85
"""Name evidence from which a name decides alone (same meaning, or a clear abbreviation)."""
VALUE_WEIGHT = 0.7
"""The most value evidence alone can score: below `STRONG_NAME`."""
CONFLICT_FACTOR = 0.6
"""Factor on the score when the values' kinds cannot be the same thing."""


@dataclass(frozen=True)
class PairEvidence:
    """The evidence that `target` carries what `source` carried, and the combined score."""

    source: str
    target: str
    score: float
    name: float
    value: float | None
    reasons: tuple[str, ...]
    conflict: bool = False


def combine(name: float, value: ValueEvidence | None) -> float:
    """0..1 score of name and value evidence taken together.

    >>> combine(1.0, None), combine(0.0, ValueEvidence(1.0, False, "")) < STRONG_NAME
    (1.0, True)
    >>> combine(0.5, ValueEvidence(0.8, False, ""))
    0.78
    """
    if value is None:
        return round(name, 4)
    score = 1.0 - (1.0 - name) * (1.0 - VALUE_WEIGHT * value.score)
    return round(score * (CONFLICT_FACTOR if value.conflict else 1.0), 4)


def score_pair(source: ColumnValues, target: ColumnValues, name: float) -> PairEvidence:
    """The combined evidence for one pair, given the pair's name similarity."""
    value = compare_values(source, target)
    reasons = [f"names {name:.2f} alike"] if name > 0 else []
    if value is None:
        empty = source.name if source.kind == "empty" else target.name
        reasons.append(f"{empty!r} has no values: judged on its name alone")
    elif value.reason:
        reasons.append(value.reason)
    return PairEvidence(
        source=source.name,
        target=target.name,
        score=combine(name, value),
        name=name,
        value=value.score if value is not None else None,
        reasons=tuple(reasons),
        conflict=value is not None and value.conflict,
    )
