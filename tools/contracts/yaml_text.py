"""contract_yaml: a Contract as suture's contract YAML, optionally under a comment header."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import yaml

from core.contracts import Contract
from core.yaml_source import load_yaml_text

_ORDER = ("dataset", "owner", "key", "event_time", "on_violation", "freshness", "fields")


def contract_yaml(contract: Contract, header: str | None = None) -> str:
    """YAML that `load_contract_file` reads back into an equal Contract.

    Defaults are left out, so each field line shows only what it says.

    >>> from core.contracts import ContractField
    >>> print(contract_yaml(Contract(dataset="t", fields=[ContractField(name="a", type="date")]),
    ...                     header="draft"), end="")
    # draft
    dataset: t
    fields:
    - name: a
      type: date
    """
    data: dict[str, Any] = contract.model_dump(mode="json", exclude_defaults=True)
    ordered = {key: data.pop(key) for key in _ORDER if key in data}
    ordered.update(data)
    text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)
    if header is None:
        return text
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return comment + text


def _renamed_to(name: str) -> Callable[[re.Match[str]], str]:
    return lambda match: match.group("head") + match.group("q") + name + match.group("q")


def updated_contract_text(original: str, old: Contract, new: Contract) -> str:
    r"""The contract file's text changed only where `new` differs from `old`, when renames alone
    explain the difference (comments and layout survive); otherwise `new` written afresh.

    >>> text = "dataset: t   # the topic\nkey: a\nfields:\n  - {name: a, type: string}\n"
    >>> old = Contract.model_validate(load_yaml_text(text))
    >>> new = Contract.model_validate({"dataset": "t", "key": "b",
    ...                                "fields": [{"name": "b", "type": "string"}]})
    >>> print(updated_contract_text(text, old, new), end="")
    dataset: t   # the topic
    key: b
    fields:
      - {name: b, type: string}
    """
    renames = {
        before.name: after.name
        for before, after in zip(old.fields, new.fields, strict=False)
        if before.name != after.name
    }
    text = original
    if len(old.fields) == len(new.fields):
        for before, after in renames.items():
            pattern = (
                r"""(?P<head>\b(?:name|key|event_time)\s*:\s*)(?P<q>["']?)"""
                + re.escape(before)
                + r"""(?P=q)(?=\s*(?:[,}#\n]|$))"""
            )
            text = re.sub(pattern, _renamed_to(after), text)
    try:
        if Contract.model_validate(load_yaml_text(text)) == new:
            return text
    except (yaml.YAMLError, ValueError):
        pass
    return contract_yaml(new)
