"""Tests for tools.healing.mapping on fields that move out of, into or between objects: an object
the models read through its fields is answered by its fields' own mappings."""

from __future__ import annotations

from core.contracts import Contract
from core.models import Detection
from tools.healing.mapping import infer_mapping


def _contract(*fields: tuple[str, str]) -> Contract:
    return Contract(dataset="t", fields=[{"name": n, "type": t} for n, t in fields])


def test_fields_moved_out_of_an_object_that_vanished_are_mapped_without_the_object() -> None:
    before = [
        {"payload": {"employee_id": 1001, "department": "Sales", "salary": 52000.0}},
        {"payload": {"employee_id": 1002, "department": "IT", "salary": 71000.5}},
    ]
    after = [
        {"employee_id": 1005, "department": "HR", "salary": 58000.0},
        {"employee_id": 1006, "department": "Finance", "salary": 91000.0},
    ]
    contract = _contract(
        ("payload", "object"),
        ("payload.employee_id", "integer"),
        ("payload.department", "string"),
        ("payload.salary", "number"),
    )
    detections = [
        Detection(kind="nesting", field=f"payload.{name}", to=name)
        for name in ("employee_id", "department", "salary")
    ]
    used = {"payload", "payload.employee_id", "payload.department", "payload.salary"}
    result = infer_mapping(detections, contract, used, before, after)
    assert result.mapping.as_dict() == {
        "payload.employee_id": "employee_id",
        "payload.department": "department",
        "payload.salary": "salary",
    }
    assert (result.unresolved, result.ambiguous) == ([], {})


def test_a_field_moved_between_objects_is_mapped_without_its_old_parents() -> None:
    before = [{"code": {"text": "Aspirin 100 mg"}}, {"code": {"text": "Ibuprofen 400 mg"}}]
    after = [{"medication": {"concept": {"text": "Paracetamol 500 mg"}}}]
    contract = _contract(("code", "object"), ("code.text", "string"))
    detections = [Detection(kind="nesting", field="code.text", to="medication.concept.text")]
    result = infer_mapping(detections, contract, {"code", "code.text"}, before, after)
    assert result.mapping.as_dict() == {"code.text": "medication.concept.text"}
    assert result.unresolved == []


def test_a_field_of_a_vanished_object_with_no_successor_stays_unresolved() -> None:
    before = [{"data": {"id": 1, "status": "placed"}}, {"data": {"id": 2, "status": "paid"}}]
    after = [{"id": 3}, {"id": 4}]
    contract = _contract(("data", "object"), ("data.id", "integer"), ("data.status", "string"))
    detections = [Detection(kind="nesting", field="data.id", to="id")]
    used = {"data", "data.id", "data.status"}
    result = infer_mapping(detections, contract, used, before, after)
    assert result.mapping.as_dict() == {"data.id": "id"}
    assert result.unresolved == ["data.status"]


def test_an_object_the_models_read_whole_is_still_asked_for() -> None:
    before = [{"meta": {"source": "web"}}, {"meta": {"source": "app"}}]
    after = [{"source": "web"}, {"source": "app"}]
    contract = _contract(("meta", "object"))
    result = infer_mapping([], contract, {"meta"}, before, after)
    assert result.unresolved == ["meta"]
