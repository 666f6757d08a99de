"""The draft's pipeline as SQL: a staging model and a mart, the reference fix, reject patches.

Models are built as sqlglot trees in DuckDB's dialect and written in the scenario's dialect; the
reference fix replaces each old field read by the staging model with its mapping target.
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from evals.generator.draft import Draft, FieldSpec, Mutation

DIALECTS = ("duckdb", "postgres", "snowflake", "bigquery", "spark")
_READ = {
    "measure": "{c}",
    "count": "{c}",
    "timestamp": "cast({c} as timestamptz)",
    "event_time": "cast({c} as timestamptz)",
}


def staging_name(draft: Draft) -> str:
    """The staging model's name."""
    return f"stg_{draft.dataset}"


def mart_name(draft: Draft) -> str:
    """The mart's name."""
    return f"{draft.table.entity}_summary"


def _projection(spec: FieldSpec) -> str:
    return f"{_READ.get(spec.role, '{c}').format(c=spec.name)} as {spec.name}"


def staging(draft: Draft) -> exp.Select:
    """`select <each field, cast where needed> from <topic>` (DuckDB)."""
    columns = ", ".join(_projection(f) for f in draft.fields)
    return sqlglot.parse_one(f"select {columns} from {draft.dataset}", read="duckdb")  # type: ignore[return-value]


def mart(draft: Draft) -> str:
    """Rows per category (and the measure's total) over the staging model (DuckDB)."""
    group = draft.category or draft.key
    total = f", sum({draft.measure}) as total_{draft.measure}" if draft.measure else ""
    return (
        f"select {group}, count(*) as {draft.table.entity}_count{total} "
        f"from {staging_name(draft)} group by {group}"
    )


def substituted(tree: exp.Select, targets: dict[str, str]) -> exp.Select:
    """The model with each bare column in `targets` replaced by its SQL (DuckDB)."""

    def swap(node: exp.Expr) -> exp.Expr:
        if isinstance(node, exp.Column) and not node.table and node.name in targets:
            return sqlglot.parse_one(targets[node.name], read="duckdb")
        return node

    return tree.copy().transform(swap)  # type: ignore[return-value]


def fixed(draft: Draft) -> exp.Select:
    """The reference fix of the staging model."""
    tree = substituted(staging(draft), draft.mapping)
    return tree.distinct() if draft.dedup else tree


def rejected(draft: Draft, mutation: Mutation) -> exp.Select:
    """A reject patch: the reference fix, mutated."""
    tree = substituted(staging(draft), {**draft.mapping, **mutation.substitutions})
    if mutation.where is not None:
        tree = tree.where(mutation.where, dialect="duckdb")
    return tree.distinct() if draft.dedup and not mutation.keep_duplicates else tree


def written(sql: str | exp.Expression, dialect: str) -> str:
    """DuckDB SQL (text or tree) in `dialect`."""
    tree = sqlglot.parse_one(sql, read="duckdb") if isinstance(sql, str) else sql
    return tree.sql(dialect=dialect, pretty=True)
