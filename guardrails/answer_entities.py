"""Guardrail `answer_names_known_entities`: a lineage answer names only what the graph holds."""

from __future__ import annotations

import re
from collections.abc import Collection

from core.models import Verdict

RULE = "answer_names_known_entities"
# Dotted names (orders.cust_id, orders.address.city) and `quoted` names are entity references.
_DOTTED = re.compile(r"(?<![\w.`])[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*)+")
_QUOTED = re.compile(r"`([^`\s]+)`")


def mentioned_entities(text: str) -> list[str]:
    """Names in `text` written the way entities are: dotted, or in `backticks`.

    >>> mentioned_entities("stg_orders.customer_id comes from `orders`, e.g. via a cast.")
    ['orders', 'stg_orders.customer_id']
    """
    found = {m.group(1) for m in _QUOTED.finditer(text)}
    found |= {m.group(0) for m in _DOTTED.finditer(text)}
    # Abbreviations such as e.g. and i.e. are made of one-letter parts.
    return sorted(n for n in found if any(len(part) > 1 for part in n.split(".")))


def unknown_entities(
    text: str, entities: Collection[str], named: Collection[str] = ()
) -> list[str]:
    """Names `text` mentions (or the answer lists in `named`) that are not in `entities`.

    >>> unknown_entities("orders.cust_id feeds stg_orders.id", {"orders.cust_id", "stg_orders"})
    ['stg_orders.id']
    """
    known = {e.lower() for e in entities}
    candidates = set(mentioned_entities(text)) | set(named)
    return sorted(n for n in candidates if n.lower() not in known)


def answer_names_known_entities(
    text: str, entities: Collection[str], named: Collection[str] = ()
) -> Verdict:
    """An answer about lineage may name only tables, columns, exposures and owners that exist.

    >>> answer_names_known_entities("orders.x is read by m.y", {"orders.x", "m.y"}).allowed
    True
    >>> answer_names_known_entities("orders.ghost is read by m.y", {"orders.x", "m.y"}).reason
    "the answer names 'orders.ghost', which the lineage graph does not hold"
    """
    unknown = unknown_entities(text, entities, named)
    if not unknown:
        return Verdict.allow(rule=RULE)
    listed = ", ".join(repr(n) for n in unknown)
    return Verdict.block(f"the answer names {listed}, which the lineage graph does not hold", RULE)
