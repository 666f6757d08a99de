"""The column lineage graph of a pipeline: topic fields -> model columns -> exposures.

The one lineage engine of suture: the healer asks it which models a field change reaches,
the guardrails which consumers a patch touches, and users ask it questions.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.contracts import Contract, Pipeline
from core.errors import ToolError
from tools.lineage.scope import UNRESOLVED
from tools.lineage.script import add_table, contract_columns, lineage_schema, script_lineage
from tools.lineage.values import (
    Exposure,
    Impact,
    LineageEdge,
    LineageNode,
    LineagePath,
    NodeKind,
    OwnerRole,
    Ownership,
)
from tools.sql.model_graph import build_graph as build_model_graph
from tools.sql.model_graph import resolve_name

__all__ = [
    "Exposure",
    "Impact",
    "LineageEdge",
    "LineageGraph",
    "LineageNode",
    "LineagePath",
    "Ownership",
    "build_lineage",
]


class LineageGraph(BaseModel):
    """Column lineage of one pipeline; build it with `build_lineage`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dialect: str
    nodes: dict[str, LineageNode]
    edges: list[LineageEdge]
    model_order: list[str] = Field(description="Models in run order.")
    model_reads: dict[str, list[str]] = Field(description="Model -> tables it reads.")
    unresolved: dict[str, list[str]] = Field(
        default_factory=dict, description="Model -> columns whose table lineage could not tell."
    )
    dangling: list[str] = Field(
        default_factory=list, description="Exposure dependencies on columns no model outputs."
    )

    def datasets(self, kind: NodeKind | None = None) -> list[str]:
        """Names of topics, models, tables and exposures (of one node kind if given)."""
        return sorted({n.dataset for n in self.nodes.values() if kind in (None, n.kind)})

    def entities(self) -> set[str]:
        """Every name the graph knows: node ids, datasets, exposures and owners."""
        names = set(self.nodes) | {n.dataset for n in self.nodes.values()}
        return names | set(self.model_order) | {n.owner for n in self.nodes.values() if n.owner}

    def resolve(self, name: str) -> str | None:
        """The node id or dataset `name` refers to, forgiving case and spaces; None if unknown."""
        wanted = name.strip().strip("`'\"").lower().replace(" ", "_")
        for candidate in sorted(self.entities()):
            if candidate.lower() == wanted:
                return candidate
        return None

    def columns_of(self, dataset: str) -> list[str]:
        """Node ids of `dataset`'s columns (an exposure is its own single node)."""
        return sorted(i for i, n in self.nodes.items() if n.dataset == dataset)

    def upstream(self, entity: str) -> list[LineagePath]:
        """One shortest path from every node `entity` derives from, or depends on."""
        return self._walk(self._start(entity), forward=False)

    def downstream(self, entity: str) -> list[LineagePath]:
        """One shortest path to every node that derives from, or depends on, `entity`."""
        return self._walk(self._start(entity), forward=True)

    def path(self, source: str, target: str) -> LineagePath | None:
        """The shortest chain of edges between two entities, upstream one first; None if none."""
        for upper, lower in ((source, target), (target, source)):
            ends = set(self._start(lower))
            found = [p for p in self._walk(self._start(upper), forward=True) if p.end in ends]
            if found:
                return min(found, key=lambda p: (len(p.edges), p.render()))
        return None

    def impact(self, dataset: str, field: str) -> Impact:
        """Everything a rename, removal or type change of `dataset.field` reaches."""
        starts = self._field_nodes(dataset, field)
        paths = self._walk(starts, forward=True)
        reached = {p.end for p in paths}
        models = set(self._models_reading_unresolved(dataset, field))
        models |= {self.nodes[n].dataset for n in reached if self.nodes[n].kind == "model_column"}
        exposures = sorted(n for n in reached if self.nodes[n].kind == "exposure")
        owners = [
            Ownership(entity=e, owner=owner, role="consumer")
            for e in exposures
            if (owner := self.nodes[e].owner)
        ]
        return Impact(
            field=f"{dataset}.{field}",
            columns=sorted(n for n in reached if self.nodes[n].kind != "exposure"),
            models=[m for m in self.model_order if m in models],
            exposures=exposures,
            owners=owners,
            paths=paths,
        )

    def models_affected_by(self, dataset: str, field: str) -> list[str]:
        """Models (in run order) that break or change when `dataset.field` changes."""
        return self.impact(dataset, field).models

    def exposures_reading(self, models: Sequence[str]) -> list[str]:
        """Exposures that read any column of `models`, directly or downstream (patch reach)."""
        starts = [n for m in models for n in self.columns_of(m)]
        reached = {p.end for p in self._walk(starts, forward=True)}
        return sorted(n for n in reached if self.nodes[n].kind == "exposure")

    def owners(self, entity: str) -> list[Ownership]:
        """Declared owners of `entity`, else the owners of its upstream topics and consumers."""
        start = self._start(entity)
        declared = {
            owner
            for n in start
            if self.nodes[n].kind != "model_column" and (owner := self.nodes[n].owner)
        }
        if declared:
            return [Ownership(entity=entity, owner=o, role="owner") for o in sorted(declared)]
        roles: tuple[tuple[OwnerRole, list[LineagePath]], ...] = (
            ("producer", self.upstream(entity)),
            ("consumer", self.downstream(entity)),
        )
        result: list[Ownership] = []
        for role, paths in roles:
            found = {o for p in paths if (o := self._owner_at(p, role)) is not None}
            result += [Ownership(entity=entity, owner=o, role=role) for o in sorted(found)]
        return result

    def _owner_at(self, path: LineagePath, role: OwnerRole) -> str | None:
        node = self.nodes[path.start if role == "producer" else path.end]
        wanted = "topic_field" if role == "producer" else "exposure"
        return node.owner if node.kind == wanted else None

    def _start(self, entity: str) -> list[str]:
        name = self.resolve(entity)
        if name is None:
            raise ToolError(f"{entity!r} is not in the lineage graph; ask about a known column")
        return [name] if name in self.nodes else self.columns_of(name)

    def _field_nodes(self, dataset: str, field: str) -> list[str]:
        node = f"{dataset}.{field}"
        nested = [n for n in self.nodes if n.startswith(node + ".")]
        parents = [
            n for n in self.nodes if node.startswith(n + ".") and self.nodes[n].dataset == dataset
        ]
        return sorted({node, *nested, *parents} & set(self.nodes))

    def _models_reading_unresolved(self, dataset: str, field: str) -> list[str]:
        # Unqualified columns of a join without a schema: any reader of the dataset may use them.
        return [
            m
            for m, names in self.unresolved.items()
            if field.lower() in {n.lower() for n in names}
            and dataset in self.model_reads.get(m, [])
        ]

    def _walk(self, starts: Sequence[str], *, forward: bool) -> list[LineagePath]:
        adjacency: dict[str, list[LineageEdge]] = {}
        for edge in self.edges:
            adjacency.setdefault(edge.source if forward else edge.target, []).append(edge)
        reached: dict[str, list[LineageEdge]] = {s: [] for s in starts}
        queue = deque(starts)
        while queue:
            node = queue.popleft()
            for edge in adjacency.get(node, []):
                nxt = edge.target if forward else edge.source
                if nxt not in reached:
                    reached[nxt] = [*reached[node], edge]
                    queue.append(nxt)
        chains = [chain if forward else chain[::-1] for chain in reached.values() if chain]
        return sorted((LineagePath(edges=c) for c in chains), key=lambda p: (p.start, p.end))


def build_lineage(
    pipeline: Pipeline,
    contracts: Mapping[str, Contract],
    exposures: Sequence[Exposure | Mapping[str, object]] = (),
) -> LineageGraph:
    """The column lineage graph of `pipeline`, its topics' contracts and its exposures."""
    topics = {c.dataset for c in contracts.values()}
    order = build_model_graph(pipeline, topics).order()
    schema = lineage_schema(
        {c.dataset: contract_columns(c) for c in contracts.values()}, pipeline.dialect
    )
    known = set(pipeline.models) | topics
    nodes: dict[str, LineageNode] = {}
    for contract in contracts.values():
        for field in contract.fields:
            _add_node(nodes, contract.dataset, field.name, "topic_field", contract.owner)
    edges: set[LineageEdge] = set()
    reads: dict[str, list[str]] = {}
    unresolved: dict[str, list[str]] = {}
    for model in order:
        for statement in script_lineage(
            pipeline.models[model], dialect=pipeline.dialect, schema=schema, default_target=model
        ):
            reads[model] = sorted({resolve_name(t, known) for t in statement.reads})
            if statement.unresolved:
                unresolved[model] = statement.unresolved
            for column in statement.columns:
                _add_node(nodes, statement.target, column, "model_column", None)
            for e in statement.edges:
                if e.source_dataset == UNRESOLVED:
                    continue  # the graph keeps these in `unresolved`, read by impact()
                source = resolve_name(e.source_dataset, known)
                kind: NodeKind = (
                    "topic_field"
                    if source in topics
                    else ("model_column" if source in pipeline.models else "table_column")
                )
                owner = contracts[source].owner if source in contracts else None
                column = e.source_column
                if source in contracts:  # unquoted identifiers fold case; contract names do not
                    column = _field_named(contracts[source], column)
                source_id = _add_node(nodes, source, column, kind, owner)
                target_id = f"{e.target_dataset}.{e.target_column}"
                if source_id != target_id:
                    edges.add(LineageEdge(source=source_id, target=target_id, kind=e.kind))
        add_table(schema, model, {c: "VARCHAR" for c in _columns(nodes, model)})
    dangling: list[str] = []
    for exposure in _validate(exposures):
        edges |= _expose(nodes, exposure, dangling)
    return LineageGraph(
        dialect=pipeline.dialect,
        nodes=nodes,
        model_order=order,
        model_reads=reads,
        unresolved=unresolved,
        dangling=dangling,
        edges=sorted(edges, key=lambda e: (e.target, e.source, e.kind)),
    )


def _field_named(contract: Contract, column: str) -> str:
    """The contract's spelling of `column` when they differ only in case (sessionId, sessionid)."""
    if contract.field(column) is not None:
        return column
    folded = {f.name.lower(): f.name for f in contract.fields}
    return folded.get(column.lower(), column)


def _columns(nodes: Mapping[str, LineageNode], dataset: str) -> list[str]:
    return [
        n.column
        for n in nodes.values()
        if n.dataset == dataset and n.column and "." not in n.column and n.column != "*"
    ]


def _add_node(
    nodes: dict[str, LineageNode], dataset: str, column: str, kind: NodeKind, owner: str | None
) -> str:
    node_id = f"{dataset}.{column}"
    nodes.setdefault(
        node_id, LineageNode(id=node_id, kind=kind, dataset=dataset, column=column, owner=owner)
    )
    return node_id


def _validate(exposures: Sequence[Exposure | Mapping[str, object]]) -> list[Exposure]:
    result = []
    for index, item in enumerate(exposures):
        try:
            result.append(item if isinstance(item, Exposure) else Exposure.model_validate(item))
        except ValidationError as error:
            raise ToolError(
                f"exposure #{index + 1} is malformed: {error}; fix exposures.yaml"
            ) from error
    return result


def _expose(
    nodes: dict[str, LineageNode], exposure: Exposure, dangling: list[str]
) -> set[LineageEdge]:
    node_id = (
        exposure.name
        if exposure.name not in {n.dataset for n in nodes.values()}
        else (f"exposure:{exposure.name}")
    )
    nodes[node_id] = LineageNode(id=node_id, kind="exposure", dataset=node_id, owner=exposure.owner)
    edges = set()
    for column in exposure.depends_on:
        if column not in nodes:
            dangling.append(f"{exposure.name} -> {column}")
            continue
        edges.add(LineageEdge(source=column, target=node_id, kind="exposure"))
    return edges
