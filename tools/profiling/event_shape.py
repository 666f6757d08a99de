"""Limits on an event's shape, checked at the edge: nesting depth and number of fields.

An event nested hundreds of levels deep, or with tens of thousands of keys, is not data a
pipeline can use; kept as it is, it breaks what stores and reports it downstream (JSON encoders
stop at a few hundred levels; an alert listing 20,000 new fields is megabytes). Such events are
rejected with a clear reason and dead-lettered whole.
"""

from __future__ import annotations

MAX_DEPTH = 64
MAX_FIELDS = 5_000


def shape_problem(
    value: object, *, max_depth: int = MAX_DEPTH, max_fields: int = MAX_FIELDS
) -> str | None:
    """Why `value` (a decoded JSON value) is outside the limits, or None when it is within.

    >>> shape_problem({"a": {"b": [1, 2]}}) is None
    True
    >>> deep: object = 1
    >>> for _ in range(70):
    ...     deep = [deep]
    >>> shape_problem({"a": deep})
    'nested deeper than 64 levels'
    >>> shape_problem({str(n): n for n in range(6)}, max_fields=5)
    'has more than 5 fields'
    """
    fields = 0
    level: list[object] = [value]
    depth = 0
    while level:
        depth += 1
        if depth > max_depth:
            return f"nested deeper than {max_depth} levels"
        below: list[object] = []
        for item in level:
            if type(item) is dict:
                fields += len(item)
                below.extend(v for v in item.values() if type(v) in (dict, list))
            elif type(item) is list:
                below.extend(v for v in item if type(v) in (dict, list))
        if fields > max_fields:
            return f"has more than {max_fields} fields"
        level = below
    return None
