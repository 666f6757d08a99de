"""Reject patches that got through validation, and the check that should have stopped each.

A reject patch is plausible but wrong: validation must refuse it. When it passes, the report
names it and the output column where it differs from the expected output, which is the column a
check (a value, unit or distribution check, or a contract invariant) should have guarded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from core.errors import AssistantError
from evals.rows import values_equal
from evals.runner import reject_verdict, replay_output
from evals.scenario import Scenario


@dataclass(frozen=True)
class RejectLeak:
    """One reject patch that validation let through."""

    scenario_id: str
    index: int
    model: str
    should_have_stopped: str

    def line(self) -> str:
        """One line for the terminal."""
        return (
            f"{self.scenario_id}: reject patch #{self.index + 1} of {self.model} got through; "
            f"{self.should_have_stopped}"
        )


def _column_values(rows: Sequence[Mapping[str, Any]], column: str) -> list[Any]:
    return sorted((row.get(column) for row in rows), key=repr)


def differing_column(
    expected: Mapping[str, Sequence[Mapping[str, Any]]],
    actual: Mapping[str, Sequence[Mapping[str, Any]]],
) -> str:
    """Where `actual` first departs from `expected`, said as the check that would catch it.

    >>> differing_column({"m": [{"a": 1, "b": 2}]}, {"m": [{"a": 1, "b": 200}]})
    'a check on m.b should have refused it (expected values like 2, got 200)'
    """
    for model, rows in expected.items():
        got = actual.get(model)
        if got is None:
            return f"a check that {model} produces output should have refused it"
        if len(got) != len(rows):
            return (
                f"a row-count check on {model} should have refused it "
                f"({len(rows)} rows expected, {len(got)} produced)"
            )
        for column in rows[0] if rows else ():
            want, have = _column_values(rows, column), _column_values(got, column)
            pairs = zip(want, have, strict=False)
            found = next(((w, h) for w, h in pairs if not values_equal(w, h)), None)
            if found is not None:
                return (
                    f"a check on {model}.{column} should have refused it "
                    f"(expected values like {found[0]!r}, got {found[1]!r})"
                )
    return (
        "its output matches the expected rows on these events, so no output check could; "
        "add events or an invariant that tell it apart"
    )


def reject_leaks(scenario: Scenario) -> list[RejectLeak]:
    """The scenario's reject patches that validation does not refuse, each with its check."""
    leaks: list[RejectLeak] = []
    for index, reject in enumerate(scenario.expect.reject_patches):
        if reject_verdict(scenario, reject.model, reject.sql).refused:
            continue
        models = {**scenario.pipeline.models, reject.model: reject.sql}
        try:
            output = replay_output(scenario, models)
        except (AssistantError, ValueError) as error:
            stopped = (
                f"its output could not be computed ({error}); a replay check should have refused it"
            )
        else:
            stopped = differing_column(scenario.expect.output, output)
        leaks.append(RejectLeak(scenario.id, index, reject.model, stopped))
    return leaks
