"""dbt-style models: Jinja `ref()`, `source()`, `config()`, `var()` rendered before parsing."""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from core.errors import ToolError

_ENVIRONMENT = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def render_model(sql: str, variables: Mapping[str, object] | None = None) -> str:
    """`sql` with dbt's Jinja rendered: ref('m') -> m, source('s', 't') -> s.t, config() -> ''.

    >>> render_model("select a from {{ ref('stg') }} join {{ source('raw', 'c') }} using (a)")
    'select a from stg join raw.c using (a)'
    """
    values = dict(variables or {})

    def ref(*names: str, **_: object) -> str:
        return names[-1]  # ref('package', 'model') names the model last

    def source(source_name: str, table: str) -> str:
        return f"{source_name}.{table}"

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

    try:
        template = _ENVIRONMENT.from_string(sql)
        return template.render(
            ref=ref, source=source, var=var, config=config, is_incremental=is_incremental
        )
    except TemplateError as error:
        raise ToolError(f"cannot render the model's Jinja: {error}") from error
