"""Undeclared fields of a declared (open) object: never removed or added on their own, but a
move of one the models read is a move, detected and answered like one of a declared field."""

from __future__ import annotations

from core.contracts import Contract, Pipeline
from core.models import Detection
from tools.lineage.fields_read import fields_read
from tools.lineage.graph import build_lineage
from tools.monitoring.detect_all import detect_all

Rows = list[dict[str, object]]

EMPLOYEES = Contract.model_validate(
    {
        "dataset": "employees",
        "fields": [
            {"name": "id", "type": "string", "required": True},
            {"name": "payload", "type": "object", "required": True},
        ],
    }
)
_DEPARTMENTS = ["IT", "HR", "Ops", "IT", "Sales", "Ops"]


def _moves(found: list[Detection]) -> list[tuple[str, str | None, object]]:
    return sorted((d.kind, d.field, d.to) for d in found if d.kind in ("nesting", "rename"))


def test_undeclared_fields_moved_out_of_a_declared_object_are_nesting() -> None:
    before: Rows = [
        {"id": f"a{i}", "payload": {"salary": 1000.0 * i + 5, "dept": d}}
        for i, d in enumerate(_DEPARTMENTS)
    ]
    after: Rows = [
        {"id": f"b{i}", "salary": 1000.0 * i + 7, "dept": d}
        for i, d in enumerate(_DEPARTMENTS[::-1])
    ]
    assert _moves(detect_all(EMPLOYEES, before, after)) == [
        ("nesting", "payload.dept", "dept"),
        ("nesting", "payload.salary", "salary"),
    ]


def test_a_declared_field_moved_into_a_declared_object_is_nesting() -> None:
    contract = Contract.model_validate(
        {
            "dataset": "employees",
            "fields": [
                {"name": "id", "type": "string", "required": True},
                {"name": "dept", "type": "string", "required": True},
                {"name": "payload", "type": "object"},
            ],
        }
    )
    before: Rows = [{"id": f"a{i}", "dept": d, "payload": {}} for i, d in enumerate(_DEPARTMENTS)]
    after: Rows = [{"id": f"b{i}", "payload": {"dept": d}} for i, d in enumerate(_DEPARTMENTS)]
    assert _moves(detect_all(contract, before, after)) == [("nesting", "dept", "payload.dept")]


def test_an_undeclared_field_that_only_vanished_is_still_not_removed() -> None:
    before: Rows = [{"id": f"a{i}", "payload": {"note": f"n{i}"}} for i in range(4)]
    after: Rows = [{"id": f"b{i}", "payload": {}} for i in range(4)]
    found = detect_all(EMPLOYEES, before, after)
    assert [d for d in found if d.kind in ("remove", "nesting", "rename")] == []


def test_the_models_read_undeclared_fields_of_a_declared_object() -> None:
    pipeline = Pipeline(
        models={"stg": "select id, payload.salary as salary, payload.dept as dept from employees"}
    )
    graph = build_lineage(pipeline, {"employees": EMPLOYEES})
    assert fields_read(EMPLOYEES, graph) == {"id", "payload", "payload.salary", "payload.dept"}


def test_fields_no_model_reads_are_not_read() -> None:
    pipeline = Pipeline(models={"stg": "select id from employees"})
    graph = build_lineage(pipeline, {"employees": EMPLOYEES})
    assert fields_read(EMPLOYEES, graph) == {"id"}
