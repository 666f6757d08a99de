"""Values of the lineage graph: nodes, edges, paths, exposures, ownership and impact."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.lineage.scope import EdgeKind, compose

NodeKind = Literal["topic_field", "model_column", "table_column", "exposure"]
GraphEdgeKind = EdgeKind | Literal["exposure"]
OwnerRole = Literal["owner", "producer", "consumer"]


class Exposure(BaseModel):
    """A downstream consumer of model columns: a dashboard, an ML feature set, a service."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    type: str = Field(default="dashboard", description="dashboard, ml_feature, service, ...")
    owner: str | None = None
    description: str | None = None
    url: str | None = None
    depends_on: list[str] = Field(default_factory=list, description="`model.column` names.")


class LineageNode(BaseModel):
    """A column of a topic, model or other table, or an exposure."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: NodeKind
    dataset: str
    column: str | None = None
    owner: str | None = None


class LineageEdge(BaseModel):
    """`target` derives from (or depends on) `source`, in the way `kind` says."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str
    target: str
    kind: GraphEdgeKind


class LineagePath(BaseModel):
    """A chain of edges from one node to another; the citation of an answer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    edges: list[LineageEdge] = Field(min_length=1)

    @property
    def start(self) -> str:
        """The first node of the path."""
        return self.edges[0].source

    @property
    def end(self) -> str:
        """The last node of the path."""
        return self.edges[-1].target

    @property
    def kind(self) -> GraphEdgeKind:
        """The kind of the whole derivation (a dependency anywhere makes it a dependency)."""
        kinds = [e.kind for e in self.edges if e.kind != "exposure"]
        if not kinds:
            return "exposure"
        result: EdgeKind = kinds[0]
        for kind in kinds[1:]:
            result = compose(kind, result)
        return result

    def render(self) -> str:
        """The path as text: `orders.cust_id -[direct]-> stg_orders.customer_id`."""
        return self.start + "".join(f" -[{e.kind}]-> {e.target}" for e in self.edges)


class Ownership(BaseModel):
    """Who answers for an entity, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entity: str
    owner: str
    role: OwnerRole = Field(
        description="owner: declared; producer: an upstream topic's owner; "
        "consumer: a downstream exposure's owner."
    )


class Impact(BaseModel):
    """What a change to one field reaches: columns, models (in run order) and exposures."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    field: str
    columns: list[str]
    models: list[str]
    exposures: list[str]
    owners: list[Ownership]
    paths: list[LineagePath]
