"""What a substitute for a vanished field must keep of the field's meaning, beyond its look.

- the codes the models compare the field with: no code none of them (nor any old value) is;
- each entity's value: where a kept field paired one to one with the old field (a display name
  with its username), the entities both samples show keep their values;
- the range the contract declares: no value below its min or above its max (a latitude is never
  151, so that is the longitude).

Each check gives the reason a substitute is refused, or None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from pydantic import JsonValue

from core.contracts import Contract, Pipeline
from tools.healing.codes import compared_literals, unmapped_codes
from tools.lineage.graph import build_lineage
from tools.matching.entity_anchors import anchor_conflict
from tools.matching.samples import Events


def compared_codes(
    pipeline: Pipeline, dataset: str, contract: Contract | None, fields: Mapping[str, object]
) -> dict[str, frozenset[str]]:
    """Per field, the literals the original models compare it with (none without a contract)."""
    if contract is None:
        return dict.fromkeys(fields, frozenset())
    graph = build_lineage(pipeline, {dataset: contract})
    return {f: compared_literals(graph, pipeline, dataset, f) for f in fields}


def new_codes(
    field: str,
    target: str,
    computed: Sequence[JsonValue],
    codes: frozenset[str],
    before: Events,
    contract: Contract | None,
) -> str | None:
    """Codes the models compare the field with fix their meaning; a successor must not bring
    codes none of them (nor any old value) is."""
    new = unmapped_codes(field, computed, codes, before, contract)
    if not new:
        return None
    return (
        f"{target} writes codes the models' comparisons never met ({new[:3]}) where they test "
        f"{sorted(codes)[:3]}: whether a new code means a known one is for a human to map"
    )


def entities_kept(
    field: str,
    target: str,
    computed: Sequence[JsonValue],
    before: Events,
    after: Events,
    same: Callable[[object, object], bool],
) -> str | None:
    """The same entities (by a kept field that paired one to one with the old one) must get
    the values they had: a look-alike gives most of them others."""
    found = anchor_conflict(field, computed, before, after, same)
    return found.describe(field, target) if found is not None else None


def declared_range(
    field: str, target: str, computed: Sequence[JsonValue], contract: Contract | None
) -> str | None:
    """Values outside the min and max the contract declares for the field.

    >>> c = Contract(dataset="p", fields=[{"name": "lat", "type": "number", "min": -90, "max": 90}])
    >>> declared_range("lat", "lng", [-33.8, 151.2], c)
    'lng gives 151.2, outside the range [-90, 90] the contract declares for lat'
    >>> declared_range("lat", "latitude", [-33.8, 12.0], c) is None
    True
    """
    declared = contract.field(field) if contract is not None else None
    if declared is None or (declared.min is None and declared.max is None):
        return None
    low = declared.min if declared.min is not None else float("-inf")
    high = declared.max if declared.max is not None else float("inf")
    numbers = [v for v in computed if isinstance(v, int | float) and not isinstance(v, bool)]
    outside = [v for v in numbers if not low <= v <= high]
    if not outside:
        return None
    return (
        f"{target} gives {outside[0]!r}, outside the range [{low:g}, {high:g}] the contract "
        f"declares for {field}"
    )
