"""Two versions of a registry schema compared: declared renames, drift detections and a verdict.

suture's verdict is about the SQL models reading the topic, not about wire compatibility: a
field that disappears (even one renamed through an Avro alias, which Avro readers resolve but
SQL does not), a type change, or a new required field breaks them; new optional fields and
looser requirements do not. The registry's own verdict (wire compatibility under the subject's
compatibility level) is asked for separately and shown next to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from core.contracts import Contract
from core.models import DeclaredRename, Detection, Evidence


@dataclass(frozen=True)
class SchemaDiff:
    """What changed between two versions, as detections, and suture's verdict on it."""

    detections: tuple[Detection, ...]
    verdict: str  # "compatible" | "breaking"
    reasons: tuple[str, ...]


def avro_declared_renames(
    old: Mapping[str, object], new: Mapping[str, object]
) -> list[DeclaredRename]:
    """Fields of the new record whose `aliases` name a field of the old one that is gone.

    >>> old = {"type": "record", "name": "O", "fields": [{"name": "cust_id", "type": "long"}]}
    >>> new = {"type": "record", "name": "O", "fields": [
    ...     {"name": "customer_id", "type": "long", "aliases": ["cust_id"]}]}
    >>> [(r.old, r.new) for r in avro_declared_renames(old, new)]
    [('cust_id', 'customer_id')]
    """
    before = {str(f.get("name")) for f in _fields(old)}
    after = {str(f.get("name")) for f in _fields(new)}
    found: list[DeclaredRename] = []
    for spec in _fields(new):
        aliases = spec.get("aliases")
        for alias in aliases if isinstance(aliases, list) else []:
            if alias in before and alias not in after:
                found.append(
                    DeclaredRename(
                        old=str(alias), new=str(spec.get("name")), declared_by="avro_alias"
                    )
                )
    return found


def protobuf_declared_renames(
    old: Mapping[str, int], new: Mapping[str, int]
) -> list[DeclaredRename]:
    """Fields that kept their number under a new name (Protobuf pairs fields by number).

    >>> [(r.old, r.new) for r in protobuf_declared_renames({"cents": 2}, {"amount_cents": 2})]
    [('cents', 'amount_cents')]
    """
    by_number = {number: name for name, number in new.items()}
    return [
        DeclaredRename(old=name, new=by_number[number], declared_by="protobuf_field_number")
        for name, number in old.items()
        if number in by_number and by_number[number] != name and name not in new
    ]


def diff_contracts(
    old: Contract, new: Contract, renames: Sequence[DeclaredRename] = ()
) -> SchemaDiff:
    """Detections (rename, remove, add, type_change, nullability) from `old` to `new`.

    >>> from core.contracts import Contract
    >>> a = Contract.model_validate({"dataset": "o", "fields": [
    ...     {"name": "cust_id", "type": "integer", "required": True}]})
    >>> b = Contract.model_validate({"dataset": "o", "fields": [
    ...     {"name": "customer_id", "type": "integer", "required": True},
    ...     {"name": "note", "type": "string"}]})
    >>> d = diff_contracts(a, b, [DeclaredRename(old="cust_id", new="customer_id",
    ...     declared_by="avro_alias")])
    >>> [(x.kind, x.field, x.to) for x in d.detections], d.verdict
    ([('rename', 'cust_id', 'customer_id'), ('add', 'note', None)], 'breaking')
    """
    before = {f.name: f for f in old.fields}
    after = {f.name: f for f in new.fields}
    renamed = {r.old: r for r in renames if r.old in before and r.new in after}
    detections: list[Detection] = []
    reasons: list[str] = []
    for name, field in before.items():
        target = renamed[name].new if name in renamed else name
        if name in renamed:
            how = renamed[name].declared_by.replace("_", " ")
            note = f"{name!r} renamed to {target!r}, declared by {how}"
            detections.append(_detection("rename", name, note, to=target))
            reasons.append(note + " (SQL reading the old name breaks)")
        if target not in after:
            note = f"{name!r} is gone from the new schema"
            detections.append(_detection("remove", name, note))
            reasons.append(note)
            continue
        now = after[target]
        if now.type != field.type:
            note = f"{target!r} changed type from {field.type} to {now.type}"
            detections.append(
                _detection("type_change", target, note, to=now.type, from_=field.type)
            )
            reasons.append(note)
        if now.required != field.required:
            note = f"{target!r} is {'now required' if now.required else 'now optional'}"
            detections.append(_detection("nullability", target, note))
            if now.required:
                reasons.append(note)
    targets = {r.new for r in renamed.values()}
    for name, field in after.items():
        if name not in before and name not in targets:
            note = f"{name!r} is new" + (" and required" if field.required else "")
            detections.append(_detection("add", name, note))
            if field.required:
                reasons.append(note + ": producers of the old version do not write it")
    return SchemaDiff(tuple(detections), "breaking" if reasons else "compatible", tuple(reasons))


def _detection(
    kind: str, field: str, note: str, *, to: str | None = None, from_: str | None = None
) -> Detection:
    return Detection.model_validate(
        {"kind": kind, "field": field, "to": to, "from": from_, "evidence": Evidence(note=note)}
    )


def _fields(schema: Mapping[str, object]) -> list[Mapping[str, object]]:
    members = schema.get("fields")
    return [m for m in members if isinstance(m, Mapping)] if isinstance(members, list) else []
