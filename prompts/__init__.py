"""Prompt files (one YAML per prompt) and `render()`, which fills them in strictly."""

from __future__ import annotations

import string
from functools import cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.errors import ConfigError
from core.ports import Prompt
from core.yaml_source import load_yaml_text


class PromptTemplate(BaseModel):
    """The content of one prompts/<name>.yaml file."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    version: int = Field(ge=1)
    variables: list[str] = Field(default_factory=list)
    system: str
    user: str


def names() -> list[str]:
    """The names of every shipped prompt."""
    folder = resources.files(__name__)
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load(name: str) -> PromptTemplate:
    """Read and validate prompts/<name>.yaml."""
    path = resources.files(__name__).joinpath(f"{name}.yaml")
    if not path.is_file():
        raise ConfigError(f"no prompt named {name!r}; shipped prompts are {names()}")
    try:
        template = PromptTemplate.model_validate(load_yaml_text(path.read_text(encoding="utf-8")))
    except (yaml.YAMLError, ValidationError) as error:
        raise ConfigError(f"prompt file {name}.yaml is malformed: {error}") from error
    if template.name != name:
        raise ConfigError(f"prompt file {name}.yaml declares name {template.name!r}")
    return template


def render(name: str, **values: str) -> Prompt:
    """Fill prompt `name` with `values`; every declared variable is needed, no other is allowed."""
    template = load(name)
    missing = sorted(set(template.variables) - values.keys())
    unknown = sorted(values.keys() - set(template.variables))
    if missing or unknown:
        raise ConfigError(
            f"prompt {name!r} needs {missing} and does not take {unknown}; fix the render() call"
        )
    try:
        return Prompt(
            name=name,
            version=template.version,
            system=string.Template(template.system).substitute(values),
            user=string.Template(template.user).substitute(values),
        )
    except (KeyError, ValueError) as error:
        raise ConfigError(
            f"prompt {name!r} uses a placeholder it does not declare: {error}"
        ) from error
