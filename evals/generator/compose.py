"""Build one scenario: a table, one or two drift operators, a dialect; checked like any file.

Everything is drawn from `random.Random(f"{seed}:{index}:{attempt}")`, so a seed always gives
the same scenarios. A draw whose scenario the checker refuses (a dialect that cannot express a
target, an operator that does not apply to the table) is dropped and the next attempt drawn.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from core.contracts import Contract, Pipeline
from core.errors import ReplayError, ToolError
from core.yaml_source import parse_yaml
from evals.checker import check_scenario
from evals.generator import encodings, naming, quality, structure
from evals.generator.draft import Draft, Event, FieldSpec
from evals.generator.models import (
    DIALECTS,
    fixed,
    mart,
    mart_name,
    rejected,
    staging,
    staging_name,
    written,
)
from evals.generator.tables import TABLES, TableSpec, field_name, parse_value, read_table
from evals.generator.yaml_text import scenario_yaml
from evals.loader import LoadedScenario
from evals.rows import compare_outputs
from evals.run_record import json_ready
from evals.scenario import Scenario
from tools.sql.replay import run_models

Operator = Callable[[Draft], bool]
OPERATORS: dict[str, Operator] = {
    "rename": naming.rename,
    "abbreviation": naming.abbreviate,
    "timestamp_precision": naming.precise_rename,
    "timestamp_zone": naming.zoned_rename,
    "unit_change": encodings.unit_change,
    "thousands_separators": encodings.number_as_text,
    "integer_as_text": encodings.count_as_text,
    "epoch_timestamp": encodings.epoch_timestamp,
    "nesting": structure.nest,
    "merge": structure.merge,
    "split": structure.split,
    "enum_new_value": quality.enum_value,
    "null_spike": quality.null_spike,
    "omitted_when_zero": quality.omitted_zero,
    "redelivery": quality.redelivered,
    "conflicting_duplicates": quality.conflicting,
    "removal": quality.removed,
    "added_field": quality.added,
}
_TYPES = {"text": "string", "category": "string", "measure": "number", "count": "integer"}
_TYPES |= {"timestamp": "timestamp"}
ATTEMPTS = 40


@dataclass(frozen=True)
class Generated:
    """One scenario file's text, and what it was built from (for the manifest)."""

    scenario_id: str
    text: str
    table: str
    operators: tuple[str, ...]
    dialect: str
    outcome: str


def _events(rng: random.Random, spec: TableSpec, rows: tuple[dict[str, str], ...]) -> list[Event]:
    events: list[Event] = []
    for row in rng.sample(rows, k=min(len(rows), 400)):
        event: Event = {}
        for column in spec.columns:
            if column.synthetic is not None:
                low, high = column.synthetic
                event[field_name(column.source)] = round(rng.uniform(low, high), 1)
                continue
            value = parse_value(row.get(column.source, ""), column)
            if value is None:
                break
            event[field_name(column.source)] = value
        else:
            events.append(event)
    return events


def base_draft(rng: random.Random, root: Path) -> Draft | None:
    """A draft over one table: key, event time and the table's columns; before and after."""
    spec = rng.choice(TABLES)
    pool = _events(rng, spec, read_table(root, spec))
    sizes = rng.randint(5, 7), rng.randint(5, 7)
    if len(pool) < sum(sizes):
        return None
    key, event_time = f"{spec.entity}_id", spec.event_time
    start = datetime(2026, rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), tzinfo=UTC)
    events = pool[: sum(sizes)]
    for event in events:
        start += timedelta(seconds=rng.randint(5, 180))
        event[key] = f"{spec.entity[:3]}-{rng.randrange(16**6):06x}"
        event[event_time] = start.isoformat().replace("+00:00", "Z")
    fields = [FieldSpec(key, "string", "key"), FieldSpec(event_time, "timestamp", "event_time")]
    fields += [
        FieldSpec(field_name(c.source), _TYPES[c.role], c.role, unit=c.unit) for c in spec.columns
    ]
    ordered = [{f.name: e[f.name] for f in fields} for e in events]
    roles = {f.name: f.role for f in fields}
    category = next((n for n, r in roles.items() if r == "category"), None)
    measure = next((n for n, r in roles.items() if r == "measure"), None)
    measure = measure or next((n for n, r in roles.items() if r == "count"), None)
    return Draft(
        rng=rng,
        table=spec,
        fields=fields,
        before=ordered[: sizes[0]],
        after=ordered[sizes[0] :],
        category=category,
        measure=measure,
        spare=pool[sum(sizes) :],
    )


def _contract(draft: Draft) -> dict[str, Any]:
    invariants = [
        {
            "name": f"{draft.key}_present",
            "model": staging_name(draft),
            "check": f"{draft.key} is not null",
        },
        *({"name": n, "model": staging_name(draft), "check": c} for n, c in draft.invariants),
    ]
    return {
        "dataset": draft.dataset,
        "owner": f"{draft.table.entity}-team",
        "fields": [f.contract() for f in draft.fields],
        "key": draft.key,
        "event_time": draft.event_time,
        "invariants": invariants,
    }


def _output(draft: Draft, contract: Contract, models: dict[str, str], dialect: str) -> Any:
    pipeline = Pipeline(dialect=dialect, models=models)
    rows = run_models(pipeline, {draft.dataset: draft.after}, {draft.dataset: contract})
    return json_ready(rows)


def assemble(draft: Draft, dialect: str, scenario_id: str, source: str) -> dict[str, Any] | None:
    """The scenario as data (None when the reference fix cannot be replayed in the dialect)."""
    contract = _contract(draft)
    stg, summary = staging_name(draft), mart_name(draft)
    models = {stg: written(staging(draft), dialect), summary: written(mart(draft), dialect)}
    outcome = draft.outcome
    expect: dict[str, Any] = {"detect": draft.detections, "outcome": outcome}
    parsed = Contract.model_validate(contract)
    output = None
    if outcome == "fix":
        fixed_models = {**models, stg: written(fixed(draft), dialect)}
        try:
            output = _output(draft, parsed, fixed_models, dialect)
        except (ReplayError, ToolError, OverflowError, ValueError):
            return None
        expect["mapping"] = {old: written(sql, dialect) for old, sql in draft.mapping.items()}
        expect["output"] = output
    rejects = []
    for mutation in draft.mutations:
        sql = written(rejected(draft, mutation), dialect)
        if output is not None and _same_output(
            draft, parsed, {**models, stg: sql}, dialect, output
        ):
            continue
        rejects.append({"model": stg, "sql": sql})
    expect["reject_patches"] = rejects
    description = f"Generated: {'; '.join(draft.notes)}. Events from the public table {source}."
    tags = ["generated", *draft.operators, draft.dataset, dialect]
    return {
        "id": scenario_id,
        "description": description,
        "tags": list(dict.fromkeys(tags)),
        "contract": contract,
        "pipeline": {"dialect": dialect, "models": models},
        "events": {"before": draft.before, "after": draft.after},
        "expect": expect,
    }


def _same_output(
    draft: Draft, contract: Contract, models: dict[str, str], dialect: str, expected: Any
) -> bool:
    try:
        actual = _output(draft, contract, models, dialect)
    except (ReplayError, ToolError, OverflowError, ValueError):
        return False
    return not compare_outputs(expected, actual)


def _checked(text: str, name: str) -> bool:
    source = parse_yaml(text, Path(name))
    scenario = Scenario.model_validate(source.data)
    return not check_scenario(LoadedScenario(scenario=scenario, source=source))


def _operators(rng: random.Random) -> list[str]:
    """One operator, or two (three times in ten)."""
    names = [rng.choice(sorted(OPERATORS))]
    if rng.random() < 0.3:
        names.append(rng.choice(sorted(set(OPERATORS) - set(names))))
    return names


def generate_one(root: Path, seed: int, index: int) -> Generated:
    """Scenario number `index` of `seed`; raises ToolError if no attempt gives a valid one."""
    chosen = _operators(random.Random(f"{seed}:{index}"))
    for attempt in range(ATTEMPTS):
        rng = random.Random(f"{seed}:{index}:{attempt}")
        # Tables are drawn again for the same operators first, so that operators which fit
        # few tables are not under-represented; only then are the operators drawn again.
        names = chosen if attempt < ATTEMPTS // 2 else _operators(rng)
        draft = base_draft(rng, root)
        if draft is None:
            continue
        if not all(OPERATORS[name](draft) for name in names):
            continue
        dialect = rng.choice(DIALECTS)
        scenario_id = f"gen-{seed}-{index:05d}-" + "-".join(n.replace("_", "-") for n in names)
        data = assemble(draft, dialect, scenario_id, draft.table.path)
        if data is None:
            continue
        text = scenario_yaml(data)
        if _checked(text, f"{scenario_id}.yaml"):
            return Generated(
                scenario_id, text, draft.table.path, tuple(names), dialect, draft.outcome
            )
    raise ToolError(f"no valid scenario for seed {seed}, index {index} in {ATTEMPTS} attempts")
