"""Tests of importing JSON Schema, Avro, ODCS and datacontract.com files into suture contracts."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from agents.edges.pipeline_files import load_contract_file, read_pipeline_dir
from core.contracts import Contract, ContractField
from core.errors import ContractError
from tools.contracts.importer import detect_format, import_contract, parse_document
from tools.contracts.yaml_text import contract_yaml

FIXTURES = Path(__file__).parent / "fixtures" / "contracts"
SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def _import(name: str, **options: str) -> Contract:
    path = FIXTURES / name
    return import_contract(path.read_text(encoding="utf-8"), str(path), **options)  # type: ignore[arg-type]


def _field(contract: Contract, name: str) -> ContractField:
    found = contract.field(name)
    assert found is not None, f"{name} missing from {contract.field_names}"
    return found


def _shape(contract: Contract) -> dict[str, tuple[str, bool]]:
    return {f.name: (f.type, f.required) for f in contract.fields}


def test_imports_an_avro_orders_record_with_nested_records_and_logical_types() -> None:
    contract = _import("orders.avsc")
    assert contract.dataset == "orders"
    assert _shape(contract) == {
        "order_id": ("string", True),
        "customer_id": ("integer", True),
        "amount": ("number", True),
        "status": ("string", True),
        "created_at": ("timestamp", True),
        "delivery_date": ("date", False),
        "email": ("string", False),
        "shipping_address": ("object", True),
        "shipping_address.street": ("string", True),
        "shipping_address.city": ("string", True),
        "shipping_address.postal_code": ("string", True),
        "shipping_address.country": ("string", False),
        "billing_address": ("object", False),
        "billing_address.street": ("string", False),
        "billing_address.city": ("string", False),
        "billing_address.postal_code": ("string", False),
        "billing_address.country": ("string", False),
        "lines": ("array", True),
        "attributes": ("object", True),
        "gift": ("boolean", True),
    }
    assert _field(contract, "status").enum == ["PLACED", "SHIPPED", "CANCELLED"]
    assert "epoch milliseconds" in (_field(contract, "created_at").description or "")
    assert "days since 1970-01-01" in (_field(contract, "delivery_date").description or "")
    assert _field(contract, "order_id").description == "order key; a UUID"
    assert _field(contract, "lines").description == "items: records with fields sku, quantity"
    assert "string values" in (_field(contract, "attributes").description or "")
    assert contract.pii_fields == {"email"}


def test_imports_a_json_schema_2020_12_with_refs_unions_and_formats() -> None:
    contract = _import("orders.schema.json", dataset="orders")
    assert contract.dataset == "orders"
    assert _shape(contract) == {
        "order_id": ("string", True),
        "customer_id": ("integer", True),
        "amount_cents": ("integer", True),
        "discount": ("number", False),
        "status": ("string", True),
        "created_at": ("timestamp", True),
        "delivery_date": ("date", False),
        "email": ("string", False),
        "shipping_address": ("object", True),
        "shipping_address.city": ("string", True),
        "shipping_address.postal_code": ("string", True),
        "shipping_address.country": ("string", False),
        "billing_address": ("object", False),
        "billing_address.city": ("string", False),
        "billing_address.postal_code": ("string", False),
        "billing_address.country": ("string", False),
        "tags": ("array", False),
        "lines": ("array", False),
    }
    amount = _field(contract, "amount_cents")
    assert (amount.min, amount.max, amount.unit) == (0.0, 9999999.0, "cents")  # exact for ints
    discount = _field(contract, "discount")
    assert (discount.min, discount.max) == (0.0, 1.0)
    assert _field(contract, "status").enum == ["placed", "shipped", "cancelled"]
    assert _field(contract, "shipping_address").description == "where the parcel goes"
    assert _field(contract, "lines").description == "items: objects with fields sku, quantity"
    assert _field(contract, "tags").description == "items: string values"
    assert contract.pii_fields == {"email"}


def test_imports_a_draft_7_schema_with_definitions_and_all_of() -> None:
    contract = _import("customers.json")
    assert contract.dataset == "customers"
    assert _shape(contract) == {
        "customer_id": ("string", True),
        "signed_up": ("timestamp", True),
        "age": ("integer", False),
        "name": ("string", False),
    }
    assert _field(contract, "customer_id").description == "customer key"
    assert _field(contract, "age").min == 18.0  # minimum 18 and exclusiveMinimum 17 agree
    assert _field(contract, "name").description == "full name"
    assert contract.pii_fields == {"name"}


def test_imports_the_odcs_schema_object_picked_by_name_or_physical_name() -> None:
    by_name = _import("orders.odcs.yaml", dataset="orders")
    by_topic = _import("orders.odcs.yaml", dataset="shop.orders.v1")
    assert by_name.dataset == "orders"
    assert by_topic.dataset == "shop.orders.v1"
    assert by_name.fields == by_topic.fields
    assert (by_name.owner, by_name.key) == ("checkout-team", "order_id")
    assert _shape(by_name) == {
        "order_id": ("string", True),
        "amount": ("number", True),
        "status": ("string", True),
        "created_at": ("timestamp", True),
        "email": ("string", False),
        "customer": ("object", True),
        "customer.id": ("integer", True),
        "customer.segment": ("string", False),
        "items": ("array", False),
    }
    assert _field(by_name, "order_id").unique
    assert _field(by_name, "amount").min == 0.0
    assert _field(by_name, "status").enum == ["placed", "shipped", "cancelled"]
    assert by_name.pii_fields == {"email"}
    assert _field(by_name, "items").description == "items: objects with fields sku, quantity"


def test_imports_a_datacontract_model_with_definitions() -> None:
    contract = _import("orders.datacontract.yaml")
    assert (contract.dataset, contract.owner, contract.key) == (
        "orders",
        "checkout-team",
        "order_id",
    )
    assert _shape(contract) == {
        "order_id": ("string", True),
        "order_total": ("number", True),
        "status": ("string", True),
        "order_timestamp": ("timestamp", True),
        "customer_email_address": ("string", False),
        "shipping": ("object", False),
        "shipping.city": ("string", False),
        "shipping.zip": ("string", False),
        "line_items": ("array", False),
    }
    assert _field(contract, "order_id").description == (
        "An internal ID that identifies an order in the online shop."
    )
    assert _field(contract, "order_total").min == 0.0
    assert _field(contract, "status").enum == ["placed", "shipped", "cancelled"]
    assert contract.pii_fields == {"customer_email_address"}


@pytest.mark.parametrize(
    "name",
    ["orders.avsc", "orders.schema.json", "customers.json", "orders.datacontract.yaml"],
)
def test_imported_contracts_round_trip_through_yaml(name: str, tmp_path: Path) -> None:
    contract = _import(name)
    written = tmp_path / "contract.yaml"
    written.write_text(contract_yaml(contract, header="imported"), encoding="utf-8")
    assert load_contract_file(written) == contract


def test_detects_formats_from_suffix_and_top_level_keys() -> None:
    read = {
        p.name: parse_document(p.read_text(encoding="utf-8"), p.name) for p in FIXTURES.iterdir()
    }
    assert {name: detect_format(doc, name) for name, doc in read.items()} == {
        "orders.avsc": "avro",
        "orders.schema.json": "json-schema",
        "customers.json": "json-schema",
        "orders.odcs.yaml": "odcs",
        "orders.datacontract.yaml": "odcs",
    }
    assert detect_format({"type": "record", "name": "R", "fields": []}, "r.json") == "avro"
    assert detect_format({"dataset": "a", "fields": []}, "a.json") == "suture"
    assert detect_format({"dataset": "a", "fields": []}, "a.yaml") == "suture"


def test_the_pipeline_reader_loads_json_schema_avro_and_odcs_contracts(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    shutil.copy(FIXTURES / "customers.json", root / "contracts" / "customers.json")
    shutil.copy(FIXTURES / "orders.avsc", root / "contracts" / "payments.avsc")
    shutil.copy(FIXTURES / "orders.datacontract.yaml", root / "contracts" / "dc.yaml")
    (root / "contracts" / "dc.yaml").write_text(
        (FIXTURES / "orders.datacontract.yaml").read_text().replace("  orders:", "  shipments:"),
        encoding="utf-8",
    )
    files = read_pipeline_dir(root)
    assert sorted(files.contracts) == ["customers", "orders", "payments", "shipments"]
    assert files.contracts["payments"].field("created_at") is not None
    assert files.contracts["orders"].key == "order_id"  # the shop's own YAML contract
    assert files.contracts["shipments"].key == "order_id"


def test_the_pipeline_reader_names_the_file_of_a_bad_foreign_contract(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root)
    bad = {"type": "object", "properties": {"a": {"type": ["string", "integer"]}}}
    (root / "contracts" / "bad.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ContractError, match=r"bad\.json' at /properties/a/type"):
        read_pipeline_dir(root)


_OBJECT = {"type": "object"}
ERRORS: list[tuple[str, str, object, str]] = [
    (
        "recursive $ref",
        "t.json",
        {**_OBJECT, "properties": {"n": {"$ref": "#/$defs/node"}},
         "$defs": {"node": {**_OBJECT, "properties": {"next": {"$ref": "#/$defs/node"}}}}},
        "'t.json' at /properties/n/properties/next/$ref: '#/$defs/node' refers to itself "
        "(a recursive schema); suture contracts are finite",
    ),
    (
        "remote $ref",
        "t.json",
        {**_OBJECT, "properties": {"a": {"$ref": "https://example.com/a.json"}}},
        "'t.json' at /properties/a/$ref: reference 'https://example.com/a.json' is not local; "
        "inline the schema",
    ),
    (
        "multi-type union",
        "t.json",
        {**_OBJECT, "properties": {"a": {"type": ["string", "integer", "null"]}}},
        "'t.json' at /properties/a/type: type ['string', 'integer', 'null'] cannot be one suture "
        "field; declare one of",
    ),
    (
        "anyOf of two schemas",
        "t.json",
        {**_OBJECT, "properties": {"a": {"anyOf": [{"type": "string"}, {"type": "integer"}]}}},
        "'t.json' at /properties/a/anyOf: a union of 2 non-null schemas",
    ),
    (
        "conditional keyword",
        "t.json",
        {**_OBJECT, "properties": {"a": {"type": "string", "if": {"const": "x"}}}},
        "'t.json' at /properties/a/if: keyword 'if' is not supported; remove it, or prefix it "
        "with x-",
    ),
    (
        "dotted property name",
        "t.json",
        {**_OBJECT, "properties": {"a.b": {"type": "string"}}},
        "'t.json' at /properties/a.b: field name 'a.b' contains a dot",
    ),
    (
        "untyped property",
        "t.json",
        {**_OBJECT, "properties": {"a": {"description": "?"}}},
        "'t.json' at /properties/a: the schema declares no type; add \"type\"",
    ),
    (
        "non-object root",
        "t.json",
        {"type": "array", "items": {"type": "string"}},
        "'t.json' at /: the top level is not an object schema with properties",
    ),
    (
        "avro union of two types",
        "t.avsc",
        {"type": "record", "name": "R",
         "fields": [{"name": "a", "type": ["null", "string", "int"]}]},
        "'t.avsc' at /fields/0/type: a union of 2 non-null types",
    ),
    (
        "avro unknown named type",
        "t.avsc",
        {"type": "record", "name": "R", "fields": [{"name": "a", "type": "Money"}]},
        "'t.avsc' at /fields/0/type: unknown type 'Money'; declare the named type before",
    ),
    (
        "avro recursive record",
        "t.avsc",
        {"type": "record", "name": "Node", "fields": [{"name": "next", "type": ["null", "Node"]}]},
        "'t.avsc' at /fields/0/type/1: record 'Node' contains itself",
    ),
    (
        "avro enum root",
        "t.avsc",
        {"type": "enum", "name": "E", "symbols": ["A"]},
        "'t.avsc' at /type: the top-level schema is 'enum', not a record",
    ),
    (
        "odcs unknown logical type",
        "t.yaml",
        {"apiVersion": "v3.0.2", "kind": "DataContract",
         "schema": [{"name": "t", "properties": [{"name": "a", "logicalType": "money"}]}]},
        "'t.yaml' at /schema/0/properties/0/logicalType: logicalType 'money' is not one of",
    ),
    (
        "odcs non-standard key",
        "t.yaml",
        {"apiVersion": "v3.0.2", "kind": "DataContract",
         "schema": [{"name": "t", "properties": [
             {"name": "a", "logicalType": "string", "nullable": True}]}]},
        "'t.yaml' at /schema/0/properties/0/nullable: property key 'nullable' is not part of "
        "ODCS v3; move it under customProperties",
    ),
    (
        "datacontract unknown type",
        "t.yaml",
        {"dataContractSpecification": "1.1.0", "models": {"t": {"fields": {"a": {"type": "xml"}}}}},
        "'t.yaml' at /models/t/fields/a/type: type 'xml' is not one suture can hold",
    ),
    (
        "datacontract missing definition",
        "t.yaml",
        {"dataContractSpecification": "1.1.0",
         "models": {"t": {"fields": {"a": {"$ref": "#/definitions/nope"}}}}},
        "'t.yaml' at /models/t/fields/a/$ref: reference '#/definitions/nope' is not one of this "
        "document's definitions",
    ),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "document", "message"),
    [
        pytest.param(source, document, message, id=title)
        for title, source, document, message in ERRORS
    ],
)
def test_refuses_unsupported_constructs_naming_file_and_pointer(
    source: str, document: object, message: str
) -> None:
    with pytest.raises(ContractError, match="^" + re.escape(message)):
        import_contract(json.dumps(document), source)


def test_refuses_a_dataset_the_document_does_not_hold() -> None:
    with pytest.raises(
        ContractError, match=r"no schema object called 'payments' \(found \['orders'"
    ):
        _import("orders.odcs.yaml", dataset="payments")


def test_refuses_an_ambiguous_odcs_document_without_dataset() -> None:
    with pytest.raises(ContractError, match=r"2 schema objects found.*pass --dataset to pick one"):
        _import("orders.odcs.yaml")


def test_reports_where_json_is_malformed() -> None:
    with pytest.raises(ContractError, match=r"'x\.avsc' is not valid JSON at line 2, column 1"):
        import_contract('{"type": "record",\n}', "x.avsc")


def test_refuses_odcs_format_for_a_document_of_another_kind() -> None:
    with pytest.raises(ContractError, match=r"neither ODCS .* nor datacontract\.com"):
        import_contract("dataset: a\nfields: []\n", "a.yaml", format="odcs")
