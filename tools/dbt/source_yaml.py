r"""A dbt source table's columns renamed in its schema YAML, comments and layout kept.

Only renames are written (the `name:` of a column, and `loaded_at_field:`), inside the block
of the one source table whose topic changed; the result must read back to the new contract, or
None is returned and the contract change is left for a human (the proposal still states it).

>>> text = "sources:\n  - name: s\n    tables:\n      - name: t  # topic t\n        columns:\n"
>>> text += "          - {name: a, data_type: int}\n"
>>> old = read_schema([("x.yml", load_yaml_text(text))]).contracts["t"]
>>> new = old.model_copy(update={"fields": [old.fields[0].model_copy(update={"name": "b"})]})
>>> print(updated_source_yaml(text, "x.yml", old, new), end="")
sources:
  - name: s
    tables:
      - name: t  # topic t
        columns:
          - {name: b, data_type: int}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import yaml

from core.contracts import Contract, FileText, Pipeline
from core.yaml_source import YamlSourceError, load_yaml_text, parse_yaml
from tools.dbt.schema import read_schema, topic_of


def _table_span(text: str, path: str, topic: str) -> tuple[int, int] | None:
    """Where in `text` the source table standing for `topic` is written."""
    try:
        source = parse_yaml(text, Path(path))
    except YamlSourceError:
        return None
    root = source.root
    if not isinstance(root, yaml.MappingNode) or not isinstance(source.data, dict):
        return None
    nodes = {k.value: v for k, v in root.value if isinstance(k, yaml.ScalarNode)}
    for i, entry in enumerate(source.data.get("sources") or []):
        tables_node = _get(nodes.get("sources"), i, "tables")
        for j, table in enumerate((entry or {}).get("tables") or []):
            node = tables_node.value[j] if isinstance(tables_node, yaml.SequenceNode) else None
            if isinstance(table, dict) and table.get("name") and topic_of(table) == topic and node:
                return node.start_mark.index, node.end_mark.index
    return None


def _get(node: yaml.Node | None, index: int, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.SequenceNode) or index >= len(node.value):
        return None
    item = node.value[index]
    if not isinstance(item, yaml.MappingNode):
        return None
    return next(
        (v for k, v in item.value if isinstance(k, yaml.ScalarNode) and k.value == key), None
    )


def _renamed_to(name: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match["head"] + match["q"] + name + match["q"]


def _without_invariants(contract: Contract | None) -> Contract | None:
    return contract.model_copy(update={"invariants": []}) if contract is not None else None


def updated_source_yaml(text: str, path: str, old: Contract, new: Contract) -> str | None:
    """`text` with the columns of `old`'s source table renamed as in `new`, or None."""
    if len(old.fields) != len(new.fields):
        return None
    span = _table_span(text, path, old.dataset)
    if span is None:
        return None
    block = text[span[0] : span[1]]
    for before, after in zip(old.fields, new.fields, strict=True):
        if before.name == after.name:
            continue
        pattern = (
            r"""(?P<head>\b(?:name|loaded_at_field)\s*:\s*)(?P<q>["']?)"""
            + re.escape(before.name)
            + r"""(?P=q)(?=\s*(?:[,}#\n]|$))"""
        )
        block = re.sub(pattern, _renamed_to(after.name), block)
    updated = text[: span[0]] + block + text[span[1] :]
    try:
        read = read_schema([(path, load_yaml_text(updated))]).contracts.get(new.dataset)
    except (yaml.YAMLError, ValueError):
        return None
    return updated if _without_invariants(read) == _without_invariants(new) else None


def contract_file_for(pipeline: Pipeline, old: Contract, new: Contract | None) -> FileText | None:
    """The schema file declaring `old`, rewritten for `new`; None when there is none to write."""
    origin = pipeline.contract_files.get(old.dataset)
    if new is None or origin is None:
        return None
    text = updated_source_yaml(origin.text, origin.path, old, new)
    return FileText(path=origin.path, text=text) if text is not None else None
