"""A scenario under construction: contract, events, staging projections, and what to expect.

Drift operators change a `Draft` in place (the events after the change, the expected
detections, outcome and mapping, the reject patches); `evals.generator.compose` turns it into
a scenario file. Mapping targets and model expressions are DuckDB SQL until they are written.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Literal

from evals.generator.tables import Role, TableSpec

Outcome = Literal["fix", "escalate", "no_action"]
Event = dict[str, Any]


@dataclass
class FieldSpec:
    """A contract field of the draft."""

    name: str
    type: str
    role: Role | Literal["key", "event_time"]
    required: bool = True
    unit: str | None = None
    enum: list[str] | None = None

    def contract(self) -> dict[str, Any]:
        """The field as a contract entry."""
        entry: dict[str, Any] = {"name": self.name, "type": self.type, "required": self.required}
        if self.role == "key":
            entry["unique"] = True
        if self.unit:
            entry["unit"] = self.unit
        if self.enum:
            entry["enum"] = self.enum
        return entry


@dataclass(frozen=True)
class Mutation:
    """A reject patch: the reference fix with some mapping entries replaced, or rows dropped."""

    name: str
    substitutions: dict[str, str] = field(default_factory=dict)
    where: str | None = None
    keep_duplicates: bool = False


@dataclass
class Draft:
    """Everything a scenario needs, while operators change it."""

    rng: random.Random
    table: TableSpec
    fields: list[FieldSpec]
    before: list[Event]
    after: list[Event]
    category: str | None
    measure: str | None
    spare: list[Event] = field(default_factory=list)
    detections: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)
    dedup: bool = False
    mutations: list[Mutation] = field(default_factory=list)
    operators: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    touched: set[str] = field(default_factory=set)
    invariants: list[tuple[str, str]] = field(default_factory=list)  # on the staging model

    @property
    def dataset(self) -> str:
        """The topic."""
        return self.table.dataset

    @property
    def key(self) -> str:
        """The key field."""
        return next(f.name for f in self.fields if f.role == "key")

    @property
    def event_time(self) -> str:
        """The event-time field."""
        return next(f.name for f in self.fields if f.role == "event_time")

    def field(self, name: str) -> FieldSpec:
        """The contract field called `name`."""
        return next(f for f in self.fields if f.name == name)

    def free(self, *roles: str) -> list[FieldSpec]:
        """Fields of these roles no operator has changed yet."""
        return [f for f in self.fields if f.role in roles and f.name not in self.touched]

    def names(self) -> set[str]:
        """Every field name in the contract or in the events after the change."""
        return {f.name for f in self.fields} | {k for e in self.after for k in e}

    def expect(self, outcome: Outcome, *detections: dict[str, Any]) -> None:
        """Record what the change must produce."""
        self.outcomes.append(outcome)
        self.detections.extend(detections)

    def rename_in_after(self, old: str, new: str) -> None:
        """Move `old` to `new` in every event after the change (keeping key order)."""
        self.after = [{(new if k == old else k): v for k, v in e.items()} for e in self.after]

    def set_after(self, name: str, convert: Any) -> None:
        """Replace `name` in every event after the change by `convert(value)`."""
        for event in self.after:
            if name in event:
                event[name] = convert(event[name])

    @property
    def outcome(self) -> Outcome:
        """escalate beats fix beats no_action."""
        order: tuple[Outcome, ...] = ("escalate", "fix")
        return next((o for o in order if o in self.outcomes), "no_action")
