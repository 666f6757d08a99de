"""Operators on values and deliveries: a new enum value, a null spike, a field omitted when it
holds zero, redelivered and conflicting duplicates, a removed field, an added field."""

from __future__ import annotations

import copy

from evals.generator.draft import Draft, Mutation


def enum_value(draft: Draft) -> bool:
    """A category the contract enumerates gets a value it never had.

    When a model restricts the category to its known values (an invariant here), recoding the
    new value needs evidence: escalate. When the models only pass it through and group by it,
    they absorb the new value: no_action (half the time each).
    """
    if draft.category is None or draft.category in draft.touched:
        return False
    name = draft.category
    known = sorted({str(e[name]) for e in draft.before})
    unseen = sorted({str(e[name]) for e in draft.spare} - set(known))
    if not unseen:
        return False
    value = draft.rng.choice(unseen)
    for event in draft.rng.sample(draft.after, k=draft.rng.choice([1, 2])):
        event[name] = value
    fresh = sorted({str(e[name]) for e in draft.after} - set(known))
    draft.field(name).enum = known
    draft.touched.add(name)
    restricted = draft.rng.random() < 0.5
    detections = ({"kind": "enum_new_value", "field": name, "value": v} for v in fresh)
    draft.expect("escalate" if restricted else "no_action", *detections)
    draft.operators.append("enum_new_value")
    quoted, old = (value.replace("'", "''") for value in (fresh[0], known[0]))
    if restricted:
        domain = ", ".join("'{}'".format(v.replace("'", "''")) for v in known)
        draft.invariants.append((f"{name}_known", f"{name} in ({domain})"))
    how = "a model restricts it to its known values" if restricted else "models only group by it"
    draft.notes.append(f"{name} gained the value {fresh[0]!r} ({how})")
    recode = f"case when {name} = '{quoted}' then '{old}' else {name} end"
    draft.mutations.append(Mutation("recoded without evidence", {name: recode}))
    draft.mutations.append(Mutation("rows filtered out", where=f"{name} <> '{quoted}'"))
    return True


def null_spike(draft: Draft) -> bool:
    """An optional measure the mart sums arrives null in most events (escalate)."""
    if draft.measure is None or draft.measure in draft.touched or len(draft.after) < 4:
        return False
    name = draft.measure
    draft.field(name).required = False
    nulls = len(draft.after) - 1
    for event in draft.after[:nulls]:
        event[name] = None
    draft.touched.add(name)
    draft.expect("escalate", {"kind": "null_spike", "field": name})
    draft.operators.append("null_spike")
    draft.notes.append(f"{name} arrives null in {nulls} of {len(draft.after)} events")
    draft.mutations.append(Mutation("a constant", {name: f"coalesce({name}, 0)"}))
    draft.mutations.append(Mutation("rows filtered out", where=f"{name} is not null"))
    return True


def omitted_zero(draft: Draft) -> bool:
    """A serializer with omit-empty drops a count whenever it is 0 (fix: restore the zero)."""
    candidates = draft.free("count")
    if not candidates or len(draft.after) < 3:
        return False
    name = draft.rng.choice(candidates).name
    zeros = draft.rng.sample(range(len(draft.after)), k=max(1, len(draft.after) // 3))
    for index, event in enumerate(draft.after):
        if index in zeros:
            event[name] = 0
    if all(e[name] == 0 for e in draft.after):
        return False
    for event in draft.after:
        if event[name] == 0:
            del event[name]
    # Before the change the same producer sent its zeros (`0`): that is the evidence that an
    # absent value means 0. Without zeros before, a missing count is only a missing value.
    before = draft.rng.sample(range(len(draft.before)), k=max(1, len(draft.before) // 3))
    for index in before:
        draft.before[index][name] = 0
    draft.touched.add(name)
    draft.mapping[name] = f"coalesce({name}, 0)"
    draft.expect("fix", {"kind": "nullability", "field": name})
    draft.operators.append("omitted_when_zero")
    draft.notes.append(f"{name} omitted from events whenever it is 0 (omit-empty)")
    draft.mutations.append(Mutation("rows filtered out", where=f"{name} is not null"))
    draft.mutations.append(Mutation("a constant", {name: "0"}))
    return True


def redelivered(draft: Draft) -> bool:
    """Some events are delivered twice, byte for byte (fix: keep one row per key)."""
    if draft.dedup or len(draft.after) < 3 or draft.key in draft.touched:
        return False
    repeated = draft.rng.sample(draft.after, k=draft.rng.choice([1, 2]))
    draft.after += [copy.deepcopy(e) for e in repeated]
    draft.rng.shuffle(draft.after)
    draft.dedup = True
    draft.touched.add(draft.key)
    draft.expect("fix", {"kind": "duplicates", "field": draft.key})
    draft.operators.append("redelivery")
    draft.notes.append(f"{len(repeated)} events redelivered with the same {draft.key}")
    keys = ", ".join(f"'{e[draft.key]}'" for e in repeated)
    draft.mutations.append(Mutation("rows filtered out", where=f"{draft.key} not in ({keys})"))
    return True


def conflicting(draft: Draft) -> bool:
    """One key arrives twice with different values (escalate: which one is right?)."""
    numbers = [f.name for f in draft.free("measure", "count")]
    if not numbers or len(draft.after) < 3 or draft.key in draft.touched:
        return False
    name = draft.rng.choice(numbers)
    original = draft.rng.choice([e for e in draft.after if e.get(name) is not None])
    changed = copy.deepcopy(original)
    changed[name] = original[name] + (1 if draft.field(name).type == "integer" else 1.5)
    draft.after.append(changed)
    draft.touched |= {draft.key, name}
    draft.expect("escalate", {"kind": "duplicates", "field": draft.key})
    draft.operators.append("conflicting_duplicates")
    draft.notes.append(f"{draft.key} {original[draft.key]!r} arrives twice with two {name} values")
    return True


def removed(draft: Draft) -> bool:
    """A field the models read stops arriving, with no successor (escalate)."""
    candidates = [f for f in draft.free("text", "category", "measure", "count")]
    if not candidates:
        return False
    name = draft.rng.choice(candidates).name
    for event in draft.after:
        event.pop(name, None)
    draft.touched.add(name)
    draft.expect("escalate", {"kind": "remove", "field": name})
    draft.operators.append("removal")
    draft.notes.append(f"{name} no longer sent")
    draft.mutations.append(Mutation("a constant", {name: "null"}))
    return True


_ADDED = ("schema_version", "source_region", "trace_id", "ingest_node")


def added(draft: Draft) -> bool:
    """A new field nobody reads appears (no_action)."""
    free = [n for n in _ADDED if n not in draft.names()]
    if not free:
        return False
    name = draft.rng.choice(free)
    for index, event in enumerate(draft.after):
        event[name] = {
            "schema_version": 2,
            "source_region": draft.rng.choice(["eu-west-1", "us-east-1"]),
            "trace_id": f"{draft.rng.getrandbits(64):016x}",
            "ingest_node": f"node-{index % 3}",
        }[name]
    draft.touched.add(name)
    draft.expect("no_action", {"kind": "add", "field": name})
    draft.operators.append("added_field")
    draft.notes.append(f"a new field {name} nobody reads")
    return True
