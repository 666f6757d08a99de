"""A contract brought up to date with a producer change, so a fix leaves no stale contract behind.

After a fix is merged the monitors judge new events by the contract: if it still described the
old events, every new event would break it. The evolved contract renames, moves, splits and merges
fields as the detections say, and follows type and unit changes where their meaning is clear.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import get_args

from core.contracts import Contract, ContractField, FieldType
from core.models import Detection

_TYPES: frozenset[str] = frozenset(get_args(FieldType))
_TEMPORAL = frozenset({"timestamp", "date"})


def evolve_contract(contract: Contract, detections: Sequence[Detection]) -> Contract:
    """`contract` as it should read after the changes `detections` describe.

    >>> c = Contract.model_validate({"dataset": "orders", "key": "cust_id", "fields": [
    ...     {"name": "cust_id", "type": "integer", "required": True}]})
    >>> new = evolve_contract(c, [Detection(kind="rename", field="cust_id", to="customer_id")])
    >>> [(f.name, f.type, f.required) for f in new.fields], new.key
    ([('customer_id', 'integer', True)], 'customer_id')
    """
    fields = list(contract.fields)
    renames: dict[str, str] = {}
    for detection in detections:
        fields, renamed = _apply(fields, detection)
        renames.update(renamed)
    values = contract.model_dump()
    values["fields"] = [f.model_dump() for f in fields]
    for role in ("key", "event_time"):
        if values[role] in renames:
            values[role] = renames[values[role]]
        elif values[role] is not None and all(f.name != values[role] for f in fields):
            values[role] = None  # the field it named is gone with no successor
    return Contract.model_validate(values)


def _apply(fields: list[ContractField], d: Detection) -> tuple[list[ContractField], dict[str, str]]:
    index = next((i for i, f in enumerate(fields) if f.name == d.field), None)
    if index is None:
        return fields, {}
    old = fields[index]
    if d.kind in ("rename", "nesting") and isinstance(d.to, str) and d.to:
        return _replace(fields, index, [old.model_copy(update={"name": d.to})]), {old.name: d.to}
    if d.kind == "type_change" and d.to in _TYPES and old.type not in _TEMPORAL:
        return _replace(fields, index, [old.model_copy(update={"type": d.to})]), {}
    if d.kind == "unit_change" and d.factor:
        factor, offset = d.factor, d.offset or 0.0
        bounds = {
            k: None if v is None else v * factor + offset
            for k, v in (("min", old.min), ("max", old.max))
        }
        if factor < 0:
            bounds = {"min": bounds["max"], "max": bounds["min"]}
        whole = float(factor).is_integer() and float(offset).is_integer()
        update = {**bounds, "unit": None, "type": old.type if whole else "number"}
        return _replace(fields, index, [old.model_copy(update=update)]), {}
    if d.kind in ("split", "merge") and isinstance(d.to, list):
        known = {f.name for f in fields}
        new = [
            ContractField(name=name, type="string", required=old.required, pii=old.pii)
            for name in d.to
            if name not in known
        ]
        return _replace(fields, index, new), {}
    return fields, {}


def _replace(
    fields: list[ContractField], index: int, new: list[ContractField]
) -> list[ContractField]:
    return [*fields[:index], *new, *fields[index + 1 :]]
