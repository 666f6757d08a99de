"""SchemaSource: the file being imported; every error names it and the JSON pointer at fault."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar, cast

from pydantic import ValidationError

from core.contracts import Contract, ContractField, Scalar
from core.errors import ContractError

T = TypeVar("T")


def pointer(base: str, *parts: str | int) -> str:
    """A JSON pointer extended by `parts`, escaped as RFC 6901 asks.

    >>> pointer("/properties", "a/b", 0)
    '/properties/a~1b/0'
    """
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return base + "".join("/" + p for p in escaped)


class SchemaSource:
    """The file being imported, and a maker of errors that point into it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def error(self, where: str, problem: str, fix: str) -> ContractError:
        """A ContractError naming the file, the JSON pointer, the problem and what to do."""
        return ContractError(f"{self.name!r} at {where or '/'}: {problem}; {fix}")

    def mapping(self, value: object, where: str, what: str) -> Mapping[str, object]:
        """`value` as a mapping with string keys, or an error saying a mapping was expected."""
        if not isinstance(value, Mapping):
            raise self.error(
                where, f"{what} must be a mapping, got {type(value).__name__}", "fix it"
            )
        return cast(Mapping[str, object], value)

    def field_name(self, name: object, where: str) -> str:
        """A usable field name: a non-empty string without dots (dots address nesting)."""
        if not isinstance(name, str) or not name:
            raise self.error(where, f"field name {name!r} is not a non-empty string", "name it")
        if "." in name:
            raise self.error(
                where,
                f"field name {name!r} contains a dot, which suture reads as nesting",
                "rename the field without dots",
            )
        return name

    def scalars(self, values: object, where: str) -> list[Scalar]:
        """An enum list: only strings, numbers and booleans (null means nullable, not a value)."""
        if not isinstance(values, list) or not values:
            raise self.error(
                where, f"expected a non-empty list of values, got {values!r}", "fix it"
            )
        found: list[Scalar] = []
        for index, value in enumerate(values):
            if value is None:
                continue
            if not isinstance(value, str | int | float | bool):
                raise self.error(
                    pointer(where, index),
                    f"enum value {value!r} is not a string, number or boolean",
                    "suture enums hold scalars only; remove it",
                )
            found.append(value)
        return found

    def contract(self, where: str, **values: object) -> Contract:
        """A validated Contract; a problem in it names this file."""
        try:
            return Contract.model_validate(values)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
                for e in error.errors()
            )
            raise self.error(
                where, f"does not make a valid contract: {problems}", "fix the schema"
            ) from error


def add_field(
    source: SchemaSource, fields: dict[str, ContractField], field: ContractField, where: str
) -> None:
    """Add `field`, refusing a second field with the same (dotted) name."""
    if field.name in fields:
        raise source.error(where, f"field {field.name!r} is declared twice", "keep one")
    fields[field.name] = field


def join_notes(*notes: str | None) -> str | None:
    """Non-empty notes joined into one description, or None.

    >>> join_notes("customer key", None, "exclusive bound")
    'customer key; exclusive bound'
    """
    kept = [n.strip() for n in notes if n and n.strip()]
    return "; ".join(kept) if kept else None


def numeric_bounds(
    node: Mapping[str, object], *, integer: bool = False
) -> tuple[float | None, float | None, str | None]:
    """min, max and a note on exclusive bounds, which suture checks as inclusive ones.

    Exclusive bounds may be numbers (JSON Schema 2020-12) or booleans on minimum/maximum
    (draft 4, ODCS 3.0). For integers they are exact (< 100 is <= 99); for other numbers
    the bound itself is allowed, and the note says so.

    >>> numeric_bounds({"minimum": 0, "exclusiveMaximum": 100})
    (0.0, 100.0, 'exclusiveMaximum 100 is checked as an inclusive bound')
    >>> numeric_bounds({"minimum": 0, "exclusiveMaximum": 100}, integer=True)
    (0.0, 99.0, None)
    """
    low, high = number(node.get("minimum")), number(node.get("maximum"))
    notes: list[str] = []
    for keyword, inclusive, step in (
        ("exclusiveMinimum", "minimum", 1.0),
        ("exclusiveMaximum", "maximum", -1.0),
    ):
        value = node.get(keyword)
        bound = number(value) if value is not True else number(node.get(inclusive))
        if bound is None:
            continue
        if integer and bound.is_integer():
            bound += step
        else:
            text = str(int(bound)) if bound.is_integer() else f"{bound:g}"
            notes.append(f"{keyword} {text} is checked as an inclusive bound")
        if keyword == "exclusiveMinimum":
            low = bound if low is None else max(low, bound)
        else:
            high = bound if high is None else min(high, bound)
    return low, high, "; ".join(notes) or None


def number(value: object) -> float | None:
    """`value` as a float when it is a JSON number (booleans are not), else None."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def choose(
    source: SchemaSource, named: Mapping[str, T], dataset: str | None, where: str, what: str
) -> tuple[str, T]:
    """The entry called `dataset`, or the only entry when no dataset is asked for."""
    if dataset is not None:
        if dataset not in named:
            raise source.error(
                where,
                f"no {what} called {dataset!r} (found {sorted(named)})",
                "pass --dataset with one of those names",
            )
        return dataset, named[dataset]
    if len(named) != 1:
        raise source.error(
            where,
            f"{len(named)} {what}s found ({sorted(named)})",
            "pass --dataset to pick one" if named else f"declare one {what}",
        )
    return next(iter(named.items()))
