"""import_contract: a contract from JSON Schema, Avro, ODCS or datacontract.com text.

Formats are told apart by the file suffix and the document's top-level keys:

- `.avsc`, or a JSON object with `"type": "record"` -> Avro;
- other `.json` documents -> JSON Schema;
- YAML/JSON with `dataContractSpecification` -> datacontract.com; with `apiVersion` and
  `kind: DataContract` -> ODCS v3 (`--format odcs` covers both);
- anything else is suture's own contract YAML.

JSON Schema and Avro files carry no topic name: the dataset defaults to the file's stem.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import PurePath
from typing import Literal

import yaml
from pydantic import ValidationError

from core.contracts import Contract
from core.errors import ContractError
from core.yaml_source import load_yaml_text
from tools.contracts.formats.avro import avro_contract
from tools.contracts.formats.datacontract import datacontract_contract
from tools.contracts.formats.json_schema import json_schema_contract
from tools.contracts.formats.odcs import odcs_contract

ContractFormat = Literal["auto", "json-schema", "avro", "odcs", "suture"]
FORMATS: tuple[str, ...] = ("auto", "json-schema", "avro", "odcs", "suture")


def parse_document(text: str, source: str) -> object:
    """The JSON or YAML document in `text` (JSON is YAML, but JSON errors read better).

    >>> parse_document('{"a": 1}', "x.json"), parse_document("a: [1]", "x.yaml")
    ({'a': 1}, {'a': [1]})
    """
    suffix = PurePath(source).suffix.lower()
    try:
        if suffix in (".json", ".avsc"):
            return json.loads(text)
        return load_yaml_text(text)
    except json.JSONDecodeError as error:
        where = f"line {error.lineno}, column {error.colno}"
        raise ContractError(
            f"{source!r} is not valid JSON at {where}: {error.msg}; fix it"
        ) from error
    except yaml.YAMLError as error:
        raise ContractError(f"{source!r} is not valid YAML: {error}; fix it") from error


def detect_format(document: object, source: str) -> ContractFormat:
    """Which format a parsed document is written in, from its suffix and top-level keys.

    >>> detect_format({"type": "record", "name": "A", "fields": []}, "a.json")
    'avro'
    >>> detect_format({"apiVersion": "v3.0.2", "kind": "DataContract"}, "a.yaml")
    'odcs'
    >>> detect_format({"dataset": "a", "fields": []}, "a.yaml")
    'suture'
    """
    suffix = PurePath(source).suffix.lower()
    if not isinstance(document, Mapping):
        return "avro" if suffix == ".avsc" else "suture"
    if suffix == ".avsc" or document.get("type") == "record":
        return "avro"
    if is_foreign_yaml(document):
        return "odcs"
    if suffix == ".json" and not {"dataset", "fields"} <= document.keys():
        return "json-schema"
    return "suture"


def is_foreign_yaml(document: object) -> bool:
    """Whether a YAML document is an ODCS or datacontract.com contract (by its top-level keys).

    >>> is_foreign_yaml({"dataContractSpecification": "1.1.0"}), is_foreign_yaml({"dataset": "a"})
    (True, False)
    """
    if not isinstance(document, Mapping):
        return False
    odcs = "apiVersion" in document and document.get("kind") == "DataContract"
    return odcs or "dataContractSpecification" in document


def import_contract(
    text: str, source: str, *, format: ContractFormat = "auto", dataset: str | None = None
) -> Contract:
    """The Contract written in `text` (the content of the file called `source`).

    >>> import_contract('{"type": "record", "name": "R", "fields": '
    ...     '[{"name": "n", "type": "long"}]}', "clicks.avsc").field("n").type
    'integer'
    """
    document = parse_document(text, source)
    chosen = detect_format(document, source) if format == "auto" else format
    if chosen == "json-schema":
        return json_schema_contract(document, source, dataset=dataset)
    if chosen == "avro":
        return avro_contract(document, source, dataset=dataset)
    if chosen == "odcs":
        if isinstance(document, Mapping) and "dataContractSpecification" in document:
            return datacontract_contract(document, source, dataset=dataset)
        if not is_foreign_yaml(document):
            raise ContractError(
                f"{source!r} is neither ODCS (apiVersion + kind: DataContract) nor "
                "datacontract.com (dataContractSpecification); pick the right --format"
            )
        return odcs_contract(document, source, dataset=dataset)
    return _suture_contract(document, source, dataset)


def _suture_contract(document: object, source: str, dataset: str | None) -> Contract:
    if not isinstance(document, Mapping):
        raise ContractError(
            f"{source!r} holds no contract mapping; pass --format if it is JSON Schema or Avro"
        )
    values = dict(document)
    if dataset is not None:
        values["dataset"] = dataset
    try:
        return Contract.model_validate(values)
    except ValidationError as error:
        raise ContractError(
            f"{source!r} is not a suture contract and no other format fits: "
            f"{error.error_count()} problem(s), first: {error.errors()[0]['msg']}; "
            "pass --format json-schema, avro or odcs"
        ) from error
