"""Which new field carries a vanished one, by the matching engine's name and value evidence.

A candidate is decisive only when its evidence is strong (`table_matching.THRESHOLD`, and either a
strong name or at least `MIN_VALUES` values on each side) and no
other candidate comes within `table_matching.MARGIN` of it; a sole remaining candidate is
decisive on the same strength (elimination). Otherwise the choice is left open, with the margin
between the best and the next as evidence, for a human or a model to settle.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import JsonValue

from tools.matching.column_matching import STRONG_NAME, PairEvidence, score_pair
from tools.matching.name_evidence import name_similarity
from tools.matching.table_matching import MARGIN, THRESHOLD
from tools.matching.value_evidence import summarize

MIN_VALUES = 3
"""Values each side needs before value evidence may help decide (else the name must alone)."""


@dataclass(frozen=True)
class SuccessorChoice:
    """Candidates best first, the decisive one if any, and the margin over the next."""

    ranked: tuple[PairEvidence, ...]
    decisive: str | None
    margin: float | None

    def describe(self, target: str) -> str:
        """The evidence about one candidate, in words."""
        found = next((p for p in self.ranked if p.target == target), None)
        if found is None:
            return "not scored"
        margin = f", margin {self.margin:.2f} over the next" if self.margin is not None else ""
        reasons = "; ".join(found.reasons) or "no name or value evidence"
        return f"score {found.score:.2f} ({reasons}){margin}"


def choose_successor(
    old: str, old_values: Sequence[JsonValue], candidates: Mapping[str, Sequence[JsonValue]]
) -> SuccessorChoice:
    """Rank `candidates` (new field -> its values) as successors of `old`; pick one if clear.

    >>> choice = choose_successor("qty", [1, 2, 3], {"quantity": [1, 2, 4], "note": ["x"]})
    >>> choice.decisive, choice.ranked[0].target
    ('quantity', 'quantity')
    >>> choose_successor("amount", [5, 6], {"total": [5, 6], "value": [5, 6]}).decisive is None
    True
    """
    before = summarize(old, old_values)
    ranked = sorted(
        (
            score_pair(before, summarize(path, found), name_similarity(old, path))
            for path, found in candidates.items()
        ),
        key=lambda p: (-p.score, p.target),
    )
    if not ranked:
        return SuccessorChoice((), None, None)
    best = ranked[0]
    margin = round(best.score - ranked[1].score, 4) if len(ranked) > 1 else None
    clear = margin is None or margin > MARGIN
    sampled = min(len(old_values), len(candidates[best.target])) >= MIN_VALUES
    strong = best.score >= THRESHOLD and not best.conflict
    strong = strong and (sampled or best.name >= STRONG_NAME)
    decisive = best.target if strong and clear else None
    return SuccessorChoice(tuple(ranked), decisive, margin)
