"""contract_yaml: a Contract as suture's contract YAML, optionally under a comment header."""

from __future__ import annotations

from typing import Any

import yaml

from agents.core.contracts import Contract

_ORDER = ("dataset", "owner", "key", "event_time", "on_violation", "freshness", "fields")


def contract_yaml(contract: Contract, header: str | None = None) -> str:
    """YAML that `load_contract_file` reads back into an equal Contract.

    Defaults are left out, so each field line shows only what it says.

    >>> from agents.core.contracts import ContractField
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
