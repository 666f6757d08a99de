"""Operators that keep a field's name and change how its values are written: another unit
(affine and sub-10x included), numbers as text with thousands separators, counts as text,
timestamps as epoch seconds, milliseconds or microseconds."""

from __future__ import annotations

from datetime import datetime

from evals.generator.draft import Draft, Mutation
from evals.generator.units import conversions_from

_EPOCHS = {  # name: (scale, DuckDB SQL reading it, DuckDB SQL of the same value in seconds)
    "epoch_seconds": (1, "to_timestamp({c})"),
    "epoch_millis": (1000, "epoch_ms({c})"),
    "epoch_micros": (1_000_000, "make_timestamp({c})"),
}


def unit_change(draft: Draft) -> bool:
    """A measure is sent in another unit: new = scale * old + offset.

    A conversion the declared unit fixes (cents, inches, kelvin) is healed by undoing it. A
    currency conversion is not: its rate is no property of the unit, the events never state it,
    and a rate fitted to samples is a guess. It escalates, and the fitted rate is a reject patch.
    """
    candidates = [(f, c) for f in draft.free("measure") for c in conversions_from(f.unit)]
    if not candidates:
        return False
    spec, conversion = draft.rng.choice(candidates)
    name = spec.name
    draft.set_after(name, lambda v: conversion.convert(float(v)))
    draft.touched.add(name)
    detection = {"kind": "unit_change", "field": name, "factor": conversion.scale}
    if not conversion.fixed:
        draft.expect("escalate", detection)
        draft.operators.append("unit_change")
        draft.notes.append(f"{name} sent in {conversion.target} instead of {conversion.source}")
        draft.mutations.append(Mutation("a fitted rate", {name: conversion.inverse_sql(name)}))
        draft.mutations.append(Mutation("a constant", {name: "0"}))
        return True
    draft.mapping[name] = conversion.inverse_sql(name)
    draft.expect("fix", detection)
    draft.operators.append("unit_change")
    draft.notes.append(f"{name} sent in {conversion.target} instead of {conversion.source}")
    wrong_scale = conversion.scale * draft.rng.choice([10, 0.1, 1000])
    off = conversion.inverse_sql(name).replace(repr(conversion.scale), repr(wrong_scale))
    draft.mutations.append(Mutation("off by a unit", {name: off}))
    if conversion.offset:
        draft.mutations.append(Mutation("dropped offset", {name: f"{name} / {conversion.scale!r}"}))
    draft.mutations.append(Mutation("a constant", {name: "0"}))
    return True


def _with_separators(value: float | int) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def number_as_text(draft: Draft) -> bool:
    """A number is sent as text with thousands separators (`1,058,868.00`)."""
    candidates = [
        f
        for f in draft.free("measure", "count")
        if any(abs(float(e.get(f.name) or 0)) >= 1000 for e in draft.after)
    ]
    if not candidates:
        return False
    spec = draft.rng.choice(candidates)
    name, integral = spec.name, spec.type == "integer"
    draft.set_after(name, _with_separators)
    draft.touched.add(name)
    number = "bigint" if integral else "double"
    draft.mapping[name] = f"cast(replace({name}, ',', '') as {number})"
    draft.expect("fix", {"kind": "type_change", "field": name, "from": spec.type, "to": "string"})
    draft.operators.append("thousands_separators")
    draft.notes.append(f"{name} sent as text with thousands separators")
    draft.mutations.append(
        Mutation("dropped thousands", {name: f"cast(split_part({name}, ',', 1) as {number})"})
    )
    if not integral:
        draft.mutations.append(
            Mutation(
                "truncated precision",
                {name: f"cast(floor(cast(replace({name}, ',', '') as double)) as bigint)"},
            )
        )
    return True


def count_as_text(draft: Draft) -> bool:
    """A count is sent as a JSON string (`"4"`), as some serializers write 64-bit integers."""
    candidates = draft.free("count")
    if not candidates:
        return False
    name = draft.rng.choice(candidates).name
    draft.set_after(name, str)
    draft.touched.add(name)
    draft.mapping[name] = f"cast({name} as bigint)"
    draft.expect("fix", {"kind": "type_change", "field": name, "from": "integer", "to": "string"})
    draft.operators.append("integer_as_text")
    draft.notes.append(f"{name} sent as a string")
    draft.mutations.append(Mutation("a constant", {name: "0"}))
    draft.mutations.append(Mutation("off by one", {name: f"cast({name} as bigint) + 1"}))
    return True


def epoch_timestamp(draft: Draft) -> bool:
    """An ISO timestamp is sent as an epoch number (seconds, milliseconds or microseconds)."""
    candidates = draft.free("timestamp", "event_time")
    if not candidates:
        return False
    name = draft.rng.choice(candidates).name
    encoding = draft.rng.choice(sorted(_EPOCHS))
    scale, reader = _EPOCHS[encoding]

    def epoch(value: str) -> int:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
        whole = int(instant.timestamp()) * scale
        return whole + (draft.rng.randrange(1, scale) if scale > 1 else 0)

    draft.set_after(name, epoch)
    draft.touched.add(name)
    draft.mapping[name] = reader.format(c=name)
    draft.expect(
        "fix", {"kind": "type_change", "field": name, "from": "timestamp", "to": "integer"}
    )
    draft.operators.append("epoch_timestamp")
    draft.notes.append(f"{name} sent as {encoding.replace('_', ' ')}")
    if scale > 1:
        draft.mutations.append(
            Mutation("truncated precision", {name: f"to_timestamp({name} // {scale})"})
        )
        draft.mutations.append(
            Mutation("off by a unit", {name: f"to_timestamp({name} / {scale * 1000})"})
        )
    else:
        draft.mutations.append(Mutation("off by a unit", {name: f"epoch_ms({name})"}))
    return True
