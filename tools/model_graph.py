"""Which tables each SQL model reads, and the order in which the models must run."""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter

import sqlglot
from pydantic import BaseModel, ConfigDict
from sqlglot import exp
from sqlglot.errors import ParseError

from agents.core.contracts import Pipeline
from agents.core.errors import ToolError


def parse_model(sql: str, dialect: str, model: str = "<model>") -> exp.Expr:
    """Parse one model's SQL (a single statement) in `dialect`, or raise ToolError."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as error:
        raise ToolError(f"model {model!r} is not valid {dialect} SQL: {error}") from error
    if len(statements) != 1:
        raise ToolError(
            f"model {model!r} must hold exactly one statement, found {len(statements)}; "
            "split it into several models"
        )
    return statements[0]


def table_name(table: exp.Table) -> str:
    """The name a table reference uses, with its qualifiers: `orders`, `raw.orders`."""
    return ".".join(part.name for part in table.parts)


def tables_read(tree: exp.Expr) -> set[str]:
    """Names of the tables a query reads, without its own CTE names.

    >>> sorted(tables_read(sqlglot.parse_one("with a as (select * from x) select * from a, y")))
    ['x', 'y']
    """
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    names: set[str] = set()
    for table in tree.find_all(exp.Table):
        if not table.name or isinstance(table.this, exp.Func):
            continue  # table functions such as unnest(...) read no named table
        name = table_name(table)
        if name not in ctes:
            names.add(name)
    return names


def resolve_name(name: str, known: set[str]) -> str:
    """Map a reference such as `raw.orders` onto a known model or topic name when one fits."""
    if name in known:
        return name
    lowered = {k.lower(): k for k in known}
    if name.lower() in lowered:
        return lowered[name.lower()]
    last = name.rsplit(".", 1)[-1]
    return lowered.get(last.lower(), name)


class ModelGraph(BaseModel):
    """Model name -> the tables (other models or topics) it reads, in one pipeline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    reads: dict[str, frozenset[str]]

    @property
    def models(self) -> frozenset[str]:
        """Every model of the pipeline."""
        return frozenset(self.reads)

    def sources(self) -> frozenset[str]:
        """Tables read that no other model produces: the topics."""
        return frozenset(
            t for m, tables in self.reads.items() for t in tables if t == m or t not in self.models
        )

    def _upstream_models(self, model: str) -> list[str]:
        # a model reading a table of its own name reads the topic, not itself
        return sorted((self.reads[model] & self.models) - {model})

    def order(self) -> list[str]:
        """Models in an order where each runs after every model it reads (ties by name)."""
        sorter: TopologicalSorter[str] = TopologicalSorter()
        for model in sorted(self.reads):
            sorter.add(model, *self._upstream_models(model))
        try:
            sorter.prepare()
        except CycleError as error:
            cycle = " -> ".join(error.args[1])
            raise ToolError(f"models read each other in a cycle ({cycle}); break it") from error
        ordered: list[str] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            ordered.extend(ready)
            sorter.done(*ready)
        return ordered

    def models_reading(self, table: str) -> list[str]:
        """Models that read `table` directly, by name."""
        return sorted(m for m, tables in self.reads.items() if table in tables)

    def downstream(self, table: str) -> list[str]:
        """Models that read `table` directly or through other models, in run order."""
        hit: set[str] = set()
        frontier = {table}
        while frontier:
            found = {m for m, t in self.reads.items() if (t - {m}) & frontier or table in t} - hit
            hit |= found
            frontier = found
        return [m for m in self.order() if m in hit]


def build_graph(pipeline: Pipeline, topics: set[str] | None = None) -> ModelGraph:
    """The dependency graph of `pipeline`; `topics` helps resolve qualified names (raw.orders)."""
    known = set(pipeline.models) | set(topics or ())
    reads = {
        model: frozenset(
            resolve_name(name, known)
            for name in tables_read(parse_model(sql, pipeline.dialect, model))
        )
        for model, sql in pipeline.models.items()
    }
    return ModelGraph(reads=reads)
