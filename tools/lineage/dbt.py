"""dbt-style models: Jinja `ref()`, `source()`, `config()`, `var()`, `env_var()` rendered
before parsing.

A project's own macros (`{% macro %}` in its macro files) can be passed in and are callable from
models; dbt's `{% test %}` and `{% materialization %}` blocks in those files are skipped. The
macros of installed packages are callable by their package's name, as in dbt
(`{{ shop_utils.cents('a') }}`). `env_var('X', 'default')` renders its default: suture renders
without the environment dbt would run in, so lineage and replay do not depend on where suture
runs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from types import SimpleNamespace

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from core.errors import ToolError

_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
_DBT_BLOCKS = re.compile(
    r"\{%-?\s*(test|materialization|snapshot|docs)\b.*?\{%-?\s*end\1\s*-?%\}", re.DOTALL
)


def render_model(
    sql: str,
    variables: Mapping[str, object] | None = None,
    sources: Mapping[str, str] | None = None,
    macros: Sequence[str] = (),
    packages: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """`sql` with dbt's Jinja rendered: ref('m') -> m, source('s', 't') -> s.t, config() -> ''.

    `sources` maps 's.t' to the table a source stands for (a dbt project's Kafka topic);
    `macros` are the texts of the project's macro files, `packages` those of each installed
    package, by package name.

    >>> render_model("select {{ cents('a') }} from t",
    ...              macros=["{% macro cents(c) %}{{ c }} / 100{% endmacro %}"])
    'select a / 100 from t'

    >>> render_model("select a from {{ ref('stg') }} join {{ source('raw', 'c') }} using (a)")
    'select a from stg join raw.c using (a)'

    >>> render_model("select {{ var('n', 3) }}, '{{ env_var('S', 'x') }}'")
    "select 3, 'x'"
    """
    values = dict(variables or {})
    tables = dict(sources or {})

    def ref(*names: str, **_: object) -> str:
        return names[-1]  # ref('package', 'model') names the model last

    def source(source_name: str, table: str) -> str:
        name = f"{source_name}.{table}"
        return tables.get(name, name)

    def var(name: str, default: object = None) -> object:
        if name in values:
            return values[name]
        if default is None:
            raise ToolError(f"the model reads var({name!r}); pass its value")
        return default

    def env_var(name: str, default: object = None) -> object:
        if default is None:
            raise ToolError(
                f"the model reads env_var({name!r}) without a default; suture renders without "
                f"your environment, so give it one: env_var({name!r}, 'value')"
            )
        return default

    def config(*_: object, **__: object) -> str:
        return ""

    def is_incremental() -> bool:
        return False  # lineage of the full model, not of one incremental run

    functions: dict[str, object] = {
        "ref": ref,
        "source": source,
        "var": var,
        "env_var": env_var,
        "config": config,
        "is_incremental": is_incremental,
    }
    for package, texts in (packages or {}).items():
        # A package's macros see dbt's functions and each other, not the project's.
        functions[package] = SimpleNamespace(**_macros(texts, dict(functions), package))
    functions.update(_macros(macros, functions, "the project"))
    try:
        return _ENVIRONMENT.from_string(sql, globals=functions).render()
    except TemplateError as error:
        raise ToolError(f"cannot render the model's Jinja: {error}") from error


def _macros(texts: Sequence[str], functions: dict[str, object], owner: str) -> dict[str, object]:
    """The macros `texts` define, each able to call `functions` and the others (added to it)."""
    found: dict[str, object] = {}
    try:
        for text in texts:
            module = _ENVIRONMENT.from_string(_DBT_BLOCKS.sub("", text), globals=functions)
            exported = module.make_module()
            made = {
                name: getattr(exported, name)
                for name in exported.__dict__
                if not name.startswith("_")
            }
            functions.update(made)
            found.update(made)
    except TemplateError as error:
        raise ToolError(f"cannot read the macros of {owner}: {error}") from error
    return found
