"""The one YAML reader: YAML as JSON producers see it, keeping each value's line.

Every YAML file suture reads (contracts, pipeline files, settings, prompts, scenarios) goes
through `load_yaml_text` or `parse_yaml`, so the same text means the same thing everywhere:
`enum: [yes, no]` is two strings, `2024-01-01` is a string, only true/false are booleans.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    """YAML as JSON producers see it: no implicit timestamps, only true/false are booleans."""


# Events on the wire are JSON: a string that looks like a date stays a string (models cast),
# and `no`, `on` or `off` are strings, not booleans (the Norway problem).
_Loader.yaml_implicit_resolvers = {
    first: [
        (tag, regexp)
        for tag, regexp in resolvers
        if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool")
    ]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


class YamlSourceError(Exception):
    """A YAML document that cannot be parsed, with the 1-based line where it breaks."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True)
class YamlSource:
    """A parsed YAML document and its node tree, to find the line of any key path."""

    path: Path
    data: Any
    root: yaml.Node | None

    def line_of(self, loc: Sequence[str | int]) -> int:
        """The 1-based line of the deepest node along `loc` that exists (1 for the top)."""
        node = self.root
        if node is None:
            return 1
        line = node.start_mark.line + 1
        for part in loc:
            child = _child(node, part)
            if child is None:
                break
            key_node, node = child
            line = key_node.start_mark.line + 1
        return line

    def keys_at(self, loc: Sequence[str | int]) -> list[str]:
        """The keys of the mapping at `loc`, or [] when there is none."""
        node = self.root
        for part in loc:
            child = _child(node, part) if node is not None else None
            if child is None:
                return []
            node = child[1]
        if not isinstance(node, yaml.MappingNode):
            return []
        return [key.value for key, _ in node.value if isinstance(key, yaml.ScalarNode)]


def _child(node: yaml.Node, part: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(node that names the child, the child) for one step of a key path, or None."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return key, value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int):
        if 0 <= part < len(node.value):
            item = node.value[part]
            return item, item
    return None


def _check_duplicate_keys(node: yaml.Node) -> None:
    """Raise at the line of a key written twice in one mapping (PyYAML keeps the last)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    raise YamlSourceError(
                        f"key {key.value!r} appears twice in one mapping; keep one",
                        key.start_mark.line + 1,
                    )
                seen.add(key.value)
            _check_duplicate_keys(value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item)


def parse_yaml(text: str, path: Path) -> YamlSource:
    """Parse one YAML document; raise YamlSourceError with the line of a syntax error."""
    try:
        root = yaml.compose(text, Loader=_Loader)
        if root is not None:
            _check_duplicate_keys(root)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 1
        reason = error.problem or error.context or "invalid YAML"
        raise YamlSourceError(f"invalid YAML: {reason}", line) from error
    except yaml.YAMLError as error:
        raise YamlSourceError(f"invalid YAML: {error}", 1) from error
    return YamlSource(path=path, data=data, root=root)


def load_yaml_text(text: str) -> Any:
    """Parse YAML with the scenario rules (dates stay strings, only true/false are booleans)."""
    return yaml.load(text, Loader=_Loader)
