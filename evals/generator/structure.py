"""Operators that change the shape of events: fields moved into an object, two fields merged
into one, one field split into two."""

from __future__ import annotations

from evals.generator.draft import Draft, FieldSpec, Mutation

_GROUPS = ("details", "attributes", "payload", "info")


def nest(draft: Draft) -> bool:
    """One or two fields move into an object (`price` -> `details.price`)."""
    candidates = draft.free("text", "category", "measure", "count")
    if not candidates:
        return False
    group = draft.rng.choice([g for g in _GROUPS if g not in draft.names()])
    moved = draft.rng.sample(candidates, k=min(len(candidates), draft.rng.choice([1, 2])))
    names = [f.name for f in moved]
    for event in draft.after:
        inner = {n: event.pop(n) for n in names if n in event}
        event[group] = inner
    for name in names:
        draft.touched.add(name)
        draft.mapping[name] = f"{group}.{name}"
        draft.expect("fix", {"kind": "nesting", "field": name, "to": f"{group}.{name}"})
        draft.mutations.append(Mutation("a constant", {name: "null"}))
    draft.touched.add(group)
    draft.operators.append("nesting")
    draft.notes.append(f"{', '.join(names)} moved into the object {group}")
    return True


def _name_pair(draft: Draft) -> tuple[str, str] | None:
    texts = [f.name for f in draft.free("text")]
    for first, last in (("first_name", "last_name"), ("given_name_label", "family_name_label")):
        if first in texts and last in texts:
            return first, last
    return None


def _single_words(draft: Draft, *names: str) -> bool:
    return all(isinstance(e.get(n), str) and " " not in e[n] for e in draft.after for n in names)


def merge(draft: Draft) -> bool:
    """First and last name arrive as one field, `full_name` = first || ' ' || last."""
    pair = _name_pair(draft)
    if pair is None or "full_name" in draft.names() or not _single_words(draft, *pair):
        return False
    first, last = pair
    for event in draft.after:
        event["full_name"] = f"{event.pop(first)} {event.pop(last)}"
    draft.touched |= {first, last, "full_name"}
    draft.mapping[first] = "split_part(full_name, ' ', 1)"
    draft.mapping[last] = "split_part(full_name, ' ', 2)"
    draft.expect(
        "fix",
        {"kind": "merge", "field": first, "to": ["full_name"]},
        {"kind": "merge", "field": last, "to": ["full_name"]},
    )
    draft.operators.append("merge")
    draft.notes.append(f"{first} and {last} merged into full_name")
    draft.mutations.append(
        Mutation(
            "wrong successor",
            {first: "split_part(full_name, ' ', 2)", last: "split_part(full_name, ' ', 1)"},
        )
    )
    draft.mutations.append(Mutation("a constant", {first: "full_name"}))
    return True


def split(draft: Draft) -> bool:
    """A name field the contract has whole (`full_name`) arrives as first and last name."""
    pair = _name_pair(draft)
    if pair is None or "full_name" in draft.names():
        return False
    first, last = pair
    draft.fields = [f for f in draft.fields if f.name not in pair]
    draft.fields.append(FieldSpec("full_name", "string", "text"))
    for event in draft.before:
        event["full_name"] = f"{event.pop(first)} {event.pop(last)}"
    draft.touched |= {first, last, "full_name"}
    draft.mapping["full_name"] = f"concat_ws(' ', {first}, {last})"
    draft.expect("fix", {"kind": "split", "field": "full_name", "to": [first, last]})
    draft.operators.append("split")
    draft.notes.append(f"full_name split into {first} and {last}")
    draft.mutations.append(Mutation("a constant", {"full_name": first}))
    draft.mutations.append(
        Mutation("wrong successor", {"full_name": f"concat_ws(' ', {last}, {first})"})
    )
    return True
