"""Match the columns of two tables: blocking, scoring, assignment, ambiguity and elimination.

Wide tables are handled by blocking: each source column is scored in full only against the
target columns its name resembles most and those sharing values with it (an inverted index of
the targets' values). Assignment takes the strongest pairs first, one target per source column,
so a column whose other candidates went to better-fitting columns keeps the sole remaining one
(elimination). When the best and second-best candidates of a column are within `MARGIN`, the
column is reported as ambiguous with every close candidate (one-to-many): nothing is picked by
a tie-break, and callers that need one answer escalate.
"""

from __future__ import annotations

import heapq
import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.matching.column_matching import PairEvidence, score_pair
from tools.matching.name_evidence import SAME, similarity_of_tokens, token_weights, tokens
from tools.matching.value_evidence import ColumnValues

THRESHOLD = 0.65
"""Smallest score reported as a correspondence."""
MARGIN = 0.05
"""Candidates of one column within this of its best are as good as the best: ambiguous."""
ELIMINATION_THRESHOLD = 0.3
"""Smallest score at which the last unmatched pair of two tables is matched by elimination."""
NAME_CANDIDATES = 12
"""Target columns per source column kept for full scoring by name resemblance."""
VALUE_CANDIDATES = 12
"""Target columns per source column kept for full scoring by shared values (and as many by
shared words of text values)."""
COMMON_VALUE_SHARE = 0.05
"""Values found in more than this share of target columns (0, 1, yes) are not indexed."""


class Rival(BaseModel):
    """Another candidate target of a column, and its score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    target: str
    score: float


class Correspondence(BaseModel):
    """Where a source column went: one target, or several that fit as well (ambiguous)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    targets: list[str] = Field(description="The best target first; more than one: ambiguous.")
    status: Literal["match", "ambiguous"]
    score: float
    name_score: float
    value_score: float | None = Field(description="None when a column has no values.")
    margin: float | None = Field(description="Best score minus the next candidate's, if any.")
    evidence: list[str]
    rivals: list[Rival] = Field(default_factory=list, description="Next candidates, best first.")


class TableMatch(BaseModel):
    """Every correspondence found between two tables, and the columns left without one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    correspondences: list[Correspondence]
    unmatched_source: list[str]
    unmatched_target: list[str]

    def pairs(self) -> set[tuple[str, str]]:
        """(source, target) for every target of every correspondence."""
        return {(c.source, t) for c in self.correspondences for t in c.targets}


def match_tables(
    source: Sequence[ColumnValues],
    target: Sequence[ColumnValues],
    *,
    threshold: float = THRESHOLD,
    margin: float = MARGIN,
) -> TableMatch:
    """Correspondences from the columns of `source` to the columns of `target`."""
    candidates = _score_all(source, target)
    found = _assign(candidates, threshold, margin)
    found += _eliminate(candidates, found, [s.name for s in source], [t.name for t in target])
    taken = {t for c in found for t in c.targets}
    order = {s.name: i for i, s in enumerate(source)}
    return TableMatch(
        correspondences=sorted(found, key=lambda c: order[c.source]),
        unmatched_source=[s.name for s in source if s.name not in {c.source for c in found}],
        unmatched_target=[t.name for t in target if t.name not in taken],
    )


class _Names:
    """Name similarity of any source column to every target column, tokens weighted once."""

    def __init__(self, source: Sequence[ColumnValues], target: Sequence[ColumnValues]) -> None:
        own = token_weights([c.name for c in source])
        other = token_weights([c.name for c in target])
        self.weights = {t: min(own.get(t, 1.0), other.get(t, 1.0)) for t in {*own, *other}}
        self.target = [(c.name, tokens(c.name)) for c in target]
        self.cores = _cores([c.name for c in source]), _cores([c.name for c in target])

    def scores(self, column: ColumnValues) -> list[float]:
        mine = tokens(column.name)
        core = self.cores[0].get(column.name, "")
        return [
            SAME
            if core and core == self.cores[1].get(name)
            else similarity_of_tokens(mine, theirs, self.weights, (column.name, name))
            for name, theirs in self.target
        ]


def _cores(names: Sequence[str]) -> dict[str, str]:
    """Names without the prefix every name of the table shares (IDA, IDB -> a, b), lower-cased.

    >>> _cores(["IDA", "IDB", "IDC"]), _cores(["Id", "Name"])
    ({'IDA': 'a', 'IDB': 'b', 'IDC': 'c'}, {'Id': 'id', 'Name': 'name'})
    """
    prefix = os.path.commonprefix(list(names)) if len(names) >= 3 else ""  # noqa: RUF071
    if len(prefix) < 2 or any(len(n) == len(prefix) for n in names):
        prefix = ""
    return {n: n[len(prefix) :].strip("_.- ").lower() for n in names}


class _ValueIndex:
    """Target columns by the values they hold (values common to many columns left out)."""

    def __init__(self, target: Sequence[ColumnValues]) -> None:
        index: dict[str, list[int]] = defaultdict(list)
        words: dict[str, list[int]] = defaultdict(list)
        for i, column in enumerate(target):
            for value in column.distinct:
                index[value].append(i)
            for word in column.words:
                words[word].append(i)
        limit = max(2, int(COMMON_VALUE_SHARE * len(target)))
        self.index = {v: cols for v, cols in index.items() if len(cols) <= limit}
        self.words = {w: cols for w, cols in words.items() if len(cols) <= limit}

    def sharing(self, column: ColumnValues) -> list[int]:
        """Target columns sharing the most values, then the most words of text values."""
        counts: Counter[int] = Counter()
        for value in column.distinct:
            counts.update(self.index.get(value, ()))
        found = [i for i, _ in counts.most_common(VALUE_CANDIDATES)]
        counts.clear()
        for word in column.words:
            counts.update(self.words.get(word, ()))
        return found + [i for i, _ in counts.most_common(VALUE_CANDIDATES) if i not in found]


def _score_all(
    source: Sequence[ColumnValues], target: Sequence[ColumnValues]
) -> dict[str, list[PairEvidence]]:
    """Each source column's blocked candidates, scored in full, best first."""
    names, values = _Names(source, target), _ValueIndex(target)
    found: dict[str, list[PairEvidence]] = {}
    for column in source:
        similarity = names.scores(column)
        by_name = heapq.nlargest(NAME_CANDIDATES, range(len(target)), key=similarity.__getitem__)
        kept = [i for i in by_name if similarity[i] > 0]
        kept += [i for i in values.sharing(column) if i not in kept]
        scored = [score_pair(column, target[i], similarity[i]) for i in kept]
        found[column.name] = sorted(scored, key=lambda p: (-p.score, -p.name))
    return found


def _assign(
    candidates: dict[str, list[PairEvidence]], threshold: float, margin: float
) -> list[Correspondence]:
    """Strongest pairs first; a column's close candidates (within `margin`) come together."""
    ranked = sorted(
        (p for pairs in candidates.values() for p in pairs if p.score >= threshold),
        key=lambda p: (-p.score, -p.name, p.source, p.target),
    )
    taken: set[str] = set()
    decided: dict[str, Correspondence] = {}
    for pair in ranked:
        if pair.source in decided or pair.target in taken:
            continue
        open_ = [p for p in candidates[pair.source] if p.target not in taken]
        close = [p for p in open_ if p.score >= threshold and pair.score - p.score <= margin]
        decided[pair.source] = _correspondence(pair, close, candidates[pair.source], taken)
        taken.update(p.target for p in close)
    return list(decided.values())


def _correspondence(
    best: PairEvidence, close: list[PairEvidence], every: list[PairEvidence], taken: set[str]
) -> Correspondence:
    others = [p for p in every if p.target != best.target]
    rest = [p for p in others if p.target not in taken]
    evidence = list(best.reasons)
    if len(close) > 1:
        evidence.append(
            f"{len(close)} candidates within {best.score - close[-1].score:.2f}: ambiguous"
        )
    elif any(p.score > best.score for p in others) and not any(p.score > best.score for p in rest):
        evidence.append("sole remaining candidate: better ones fit other columns better")
    return Correspondence(
        source=best.source,
        targets=[p.target for p in close],
        status="ambiguous" if len(close) > 1 else "match",
        score=best.score,
        name_score=best.name,
        value_score=best.value,
        margin=round(best.score - others[0].score, 4) if others else None,
        evidence=evidence,
        rivals=[Rival(target=p.target, score=p.score) for p in others[:3]],
    )


def _eliminate(
    candidates: dict[str, list[PairEvidence]],
    found: list[Correspondence],
    source: list[str],
    target: list[str],
) -> list[Correspondence]:
    """The last unmatched source and target column go together when their evidence agrees."""
    left = [s for s in source if s not in {c.source for c in found}]
    taken = {t for c in found for t in c.targets}
    right = [t for t in target if t not in taken]
    if len(left) != 1 or len(right) != 1:
        return []
    pair = next((p for p in candidates[left[0]] if p.target == right[0]), None)
    if pair is None or pair.score < ELIMINATION_THRESHOLD or pair.value == 0.0:
        return []
    match = _correspondence(pair, [pair], candidates[left[0]], taken)
    evidence = [*match.evidence, "sole remaining pair of columns on both sides"]
    return [match.model_copy(update={"evidence": evidence})]
