"""dbt data tests (`tests:` or the newer `data_tests:`) read as field rules and invariants.

Understood: `not_null`, `unique`, `accepted_values`, `accepted_range` and
`expression_is_true` (plain or from a package such as `dbt_utils.`), and a model contract's
`constraints:` of type `not_null` and `check`. `unique` is not a row-level check, so on a model
it is not turned into an invariant. Other tests are left alone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from core.contracts import Invariant, Scalar


@dataclass(frozen=True)
class ColumnTests:
    """The rules one column's tests state."""

    not_null: bool = False
    unique: bool = False
    accepted_values: list[Scalar] | None = None
    minimum: float | None = None
    maximum: float | None = None
    expressions: tuple[str, ...] = ()  # appended to the column: ">= 0"
    checks: tuple[str, ...] = ()  # whole boolean expressions (check constraints)


def _tests(entry: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(test name without package, its arguments) of every test on a column or model."""
    for test in [*(entry.get("tests") or []), *(entry.get("data_tests") or [])]:
        if isinstance(test, str):
            yield test.split(".")[-1], {}
        elif isinstance(test, Mapping) and len(test) == 1:
            [(name, arguments)] = test.items()
            arguments = arguments if isinstance(arguments, Mapping) else {}
            nested = arguments.get("arguments")  # dbt 1.10 puts them under `arguments:`
            yield str(name).split(".")[-1], {**arguments, **(nested or {})}


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _constraints(entry: Mapping[str, Any]) -> Iterator[tuple[str, str | None]]:
    """(type, expression) of every constraint of a model contract's column or model."""
    for constraint in entry.get("constraints") or []:
        if isinstance(constraint, Mapping) and constraint.get("type"):
            expression = constraint.get("expression")
            yield str(constraint["type"]), str(expression) if expression else None


def column_tests(column: Mapping[str, Any]) -> ColumnTests:
    """The rules stated by `column`'s tests and constraints."""
    found: dict[str, Any] = {}
    expressions: list[str] = []
    checks = [e for kind, e in _constraints(column) if kind == "check" and e]
    if any(kind == "not_null" for kind, _ in _constraints(column)):
        found["not_null"] = True
    for name, arguments in _tests(column):
        if name in ("not_null", "unique"):
            found[name] = True
        elif name == "accepted_values" and isinstance(arguments.get("values"), list):
            found["accepted_values"] = list(arguments["values"])
        elif name == "accepted_range":
            found["minimum"] = _number(arguments.get("min_value"))
            found["maximum"] = _number(arguments.get("max_value"))
        elif name == "expression_is_true" and arguments.get("expression"):
            expressions.append(str(arguments["expression"]))
    return ColumnTests(**found, expressions=tuple(expressions), checks=tuple(checks))


def _checks(column: str, tests: ColumnTests) -> Iterator[tuple[str, str]]:
    name = exp.to_identifier(column).sql(dialect="duckdb")
    if tests.not_null:
        yield "not_null", f"{name} is not null"
    if tests.accepted_values is not None:
        values = ", ".join(exp.convert(v).sql(dialect="duckdb") for v in tests.accepted_values)
        yield "accepted_values", f"{name} in ({values})"
    if tests.minimum is not None:
        yield "accepted_range_min", f"{name} >= {tests.minimum:g}"
    if tests.maximum is not None:
        yield "accepted_range_max", f"{name} <= {tests.maximum:g}"
    for index, expression in enumerate(tests.expressions):
        yield f"expression_is_true_{index}", f"{name} {expression}"
    for index, check in enumerate(tests.checks):
        yield f"check_{index}", check


def model_invariants(model: Mapping[str, Any]) -> list[Invariant]:
    """The invariants a dbt model's tests state, named model.column.test."""
    name = str(model["name"])
    found: list[Invariant] = []
    for column in model.get("columns") or []:
        if not isinstance(column, Mapping) or not column.get("name"):
            continue
        for test, check in _checks(str(column["name"]), column_tests(column)):
            found.append(Invariant(name=f"{name}.{column['name']}.{test}", model=name, check=check))
    checks = [
        ("expression_is_true", str(arguments["expression"]))
        for test, arguments in _tests(model)
        if test == "expression_is_true" and arguments.get("expression")
    ]
    checks += [("check", e) for kind, e in _constraints(model) if kind == "check" and e]
    for index, (test, check) in enumerate(checks):
        found.append(Invariant(name=f"{name}.{test}_{index}", model=name, check=check))
    return found
