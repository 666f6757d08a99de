"""Operators that rename a field: to a synonym, to an abbreviation (or back), and renames that
also change a timestamp's spelling (milliseconds gained, a UTC offset instead of `Z`)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from evals.generator.draft import Draft, Mutation

ABBREVIATIONS: dict[str, str] = {
    "quantity": "qty",
    "timestamp": "ts",
    "amount": "amt",
    "description": "desc",
    "address": "addr",
    "number": "num",
    "temperature": "temp",
    "category": "cat",
    "manufacturer": "mfr",
    "height": "ht",
    "weight": "wt",
    "date": "dt",
    "year": "yr",
    "count": "cnt",
    "children": "kids",
    "source": "src",
    "status": "stat",
    "examined": "exam",
}
_EXPANSIONS = {short: full for full, short in ABBREVIATIONS.items()}
_RENAMABLE = ("text", "category", "measure", "count", "timestamp", "event_time")
SYNONYMS: dict[str, tuple[str, ...]] = {
    "price": ("unit_price", "list_price"),
    "title": ("name", "headline"),
    "city": ("town", "locality"),
    "brand": ("make", "brand_name"),
    "category": ("product_category", "section"),
    "venue": ("published_in", "journal"),
    "age": ("age_years", "patient_age"),
    "gender": ("sex",),
    "sex": ("gender",),
    "state": ("region", "state_code"),
    "type": ("cuisine", "kind"),
    "style": ("beer_style",),
}


def _abbreviated(name: str) -> str | None:
    parts = name.split("_")
    for table in (ABBREVIATIONS, _EXPANSIONS):
        changed = [table.get(part, part) for part in parts]
        if changed != parts:
            return "_".join(changed)
    return None


def _successor(draft: Draft, old: str) -> str:
    options = [*SYNONYMS.get(old, ()), f"{draft.table.entity}_{old}", f"{old}_value"]
    free = [name for name in options if name not in draft.names()]
    return draft.rng.choice(free)


def _other_field(draft: Draft, old: str) -> str | None:
    kind = draft.field(old).type
    others = [f.name for f in draft.fields if f.type == kind and f.name not in (old, draft.key)]
    return draft.rng.choice(others) if others else None


def _rename(draft: Draft, old: str, new: str, operator: str) -> None:
    draft.rename_in_after(old, new)
    draft.touched |= {old, new}
    draft.mapping[old] = new
    draft.expect("fix", {"kind": "rename", "field": old, "to": new})
    draft.operators.append(operator)
    draft.notes.append(f"{old} renamed to {new}")
    wrong = _other_field(draft, old)
    if wrong is not None:
        draft.mutations.append(Mutation("wrong successor", {old: wrong}))
    draft.mutations.append(Mutation("a constant", {old: "null"}))


def rename(draft: Draft) -> bool:
    """A field gets another name (a synonym, or its entity's prefix)."""
    candidates = draft.free(*_RENAMABLE)
    if not candidates:
        return False
    old = draft.rng.choice(candidates).name
    _rename(draft, old, _successor(draft, old), "rename")
    return True


def abbreviate(draft: Draft) -> bool:
    """A field's name gets abbreviated (`quantity` -> `qty`), or an abbreviation spelled out."""
    candidates = [
        (f.name, short)
        for f in draft.free(*_RENAMABLE)
        if (short := _abbreviated(f.name)) and short not in draft.names()
    ]
    if not candidates:
        return False
    old, new = draft.rng.choice(candidates)
    _rename(draft, old, new, "abbreviation")
    return True


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def precise_rename(draft: Draft) -> bool:
    """A timestamp is renamed and gains milliseconds (`...:05Z` -> `...:05.250Z`)."""
    candidates = draft.free("timestamp", "event_time")
    if not candidates:
        return False
    old = draft.rng.choice(candidates).name
    new = _successor(draft, old) if draft.rng.random() < 0.5 else f"{old}_ms"
    if new in draft.names():
        return False

    def with_millis(value: str) -> str:
        millis = draft.rng.randrange(1, 1000)
        return re.sub(r"Z$", f".{millis:03d}Z", value)

    draft.set_after(old, with_millis)
    _rename(draft, old, new, "timestamp_precision")
    draft.mutations.append(
        Mutation("truncated precision", {old: f"date_trunc('second', cast({new} as timestamptz))"})
    )
    return True


def zoned_rename(draft: Draft) -> bool:
    """A timestamp is renamed and now carries the producer's UTC offset instead of `Z`."""
    candidates = draft.free("timestamp", "event_time")
    if not candidates:
        return False
    old = draft.rng.choice(candidates).name
    new = _successor(draft, old)
    hours = draft.rng.choice([-7, -5, 1, 2, 5.5, 9])
    zone = timezone(timedelta(hours=hours))
    draft.set_after(old, lambda v: _parse(v).astimezone(zone).isoformat())
    _rename(draft, old, new, "timestamp_zone")
    draft.notes[-1] += f" with UTC offset {hours:+g} h"
    draft.mutations.append(
        Mutation("dropped zone", {old: f"cast(substr({new}, 1, 19) as timestamp)"})
    )
    return True
