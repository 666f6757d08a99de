"""Two substitutes crossed: each reads the new field whose values sit where the OTHER old field's
did (temperature read from the moisture leaf, moisture from the temperature leaf).

Each alone may keep a plausible magnitude, so the output comparisons let it through; the pair
says more. When the two old fields are told apart by their values (Welch t), and reading the
two substitutes the other way round brings each much closer to its old values than as written,
the substitutes are crossed.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence

from pydantic import JsonValue

from tools.matching.samples import Events, values
from tools.matching.unit_fit import MIN_VALUES, separation

SEPARATION = 3.0
"""Smallest Welch t between the two old fields for the samples to tell them apart."""
CLOSER = 2.0
"""How many times closer (in log distance of medians) each crossed-back pairing must be."""
SMALLEST_MISS = math.log(1.25)
"""Smallest log distance between a substitute and its old values for a crossing to count."""


def _positive(found: Sequence[JsonValue]) -> list[float] | None:
    numbers = [float(v) for v in found if isinstance(v, int | float) and not isinstance(v, bool)]
    if len(numbers) < MIN_VALUES or len(numbers) != len(found) or min(numbers) <= 0:
        return None
    return numbers


def _distance(old: Sequence[float], new: Sequence[float]) -> float:
    return abs(math.log(statistics.median(new) / statistics.median(old)))


def _crossed(
    old: tuple[Sequence[float], Sequence[float]], new: tuple[Sequence[float], Sequence[float]]
) -> bool:
    apart = separation(old[0], old[1])
    if apart is None or apart < SEPARATION:
        return False  # the old fields' values do not tell them apart
    straight = (_distance(old[0], new[0]), _distance(old[1], new[1]))
    back = (_distance(old[0], new[1]), _distance(old[1], new[0]))
    return min(straight) >= SMALLEST_MISS and CLOSER * max(back) <= min(straight)


def crossed_substitutes(
    found: Mapping[str, set[str]], computed: Mapping[str, list[JsonValue]], before: Events
) -> list[str]:
    """One problem per pair of substitutes that read each other's successor.

    `found` is field -> its substitutes, `computed` substitute -> its values on the new events.
    """
    numeric: dict[str, tuple[str, list[float], list[float]]] = {}
    for field, targets in sorted(found.items()):
        if len(targets) != 1:
            continue
        (target,) = targets
        old, new = (
            _positive(values(before, field)),
            _positive([v for v in computed.get(target, []) if v is not None]),
        )
        if old is not None and new is not None:
            numeric[field] = (target, old, new)
    problems = []
    fields = sorted(numeric)
    for i, first in enumerate(fields):
        for second in fields[i + 1 :]:
            (t1, o1, n1), (t2, o2, n2) = numeric[first], numeric[second]
            if _crossed((o1, o2), (n1, n2)):
                problems.append(
                    f"{first} <- {t1} and {second} <- {t2} are crossed: {t1}'s values sit "
                    f"where {second}'s did (median {statistics.median(n1):g} vs "
                    f"{statistics.median(o2):g}) and {t2}'s where {first}'s did "
                    f"({statistics.median(n2):g} vs {statistics.median(o1):g})"
                )
    return problems
