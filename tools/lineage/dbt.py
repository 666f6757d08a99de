"""dbt-style models: Jinja `ref()`, `source()`, `config()`, `var()` rendered before parsing.

A project's own macros (`{% macro %}` in its macro files) can be passed in and are callable from
models; dbt's `{% test %}` and `{% materialization %}` blocks in those files are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

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
) -> str:
    """`sql` with dbt's Jinja rendered: ref('m') -> m, source('s', 't') -> s.t, config() -> ''.

    `sources` maps 's.t' to the table a source stands for (a dbt project's Kafka topic);
    `macros` are the texts of the project's macro files.

    >>> render_model("select {{ cents('a') }} from t",
    ...              macros=["{% macro cents(c) %}{{ c }} / 100{% endmacro %}"])
    'select a / 100 from t'

    >>> render_model("select a from {{ ref('stg') }} join {{ source('raw', 'c') }} using (a)")
    'select a from stg join raw.c using (a)'
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

    def config(*_: object, **__: object) -> str:
        return ""

    def is_incremental() -> bool:
        return False  # lineage of the full model, not of one incremental run

    functions: dict[str, object] = {
        "ref": ref,
        "source": source,
        "var": var,
        "config": config,
        "is_incremental": is_incremental,
    }
    try:
        for text in macros:
            module = _ENVIRONMENT.from_string(_DBT_BLOCKS.sub("", text), globals=functions)
            exported = module.make_module()
            functions.update(
                {
                    name: getattr(exported, name)
                    for name in exported.__dict__
                    if not name.startswith("_")
                }
            )
    except TemplateError as error:
        raise ToolError(f"cannot read the project's macros: {error}") from error
    try:
        return _ENVIRONMENT.from_string(sql, globals=functions).render()
    except TemplateError as error:
        raise ToolError(f"cannot render the model's Jinja: {error}") from error
