"""OpenLineage run events of a lineage graph: one job per model, with the columnLineage facet.

Marquez, DataHub and other OpenLineage consumers read these (POST them to /api/v1/lineage).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.lineage.graph import LineageGraph
from tools.lineage.scope import EdgeKind
from tools.lineage.values import LineageNode

PRODUCER = "https://github.com/suture/suture"
RUN_EVENT_SCHEMA = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"
SCHEMA_FACET = (
    "https://openlineage.io/spec/facets/1-1-1/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet"
)
COLUMN_LINEAGE_FACET = (
    "https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json"
    "#/$defs/ColumnLineageDatasetFacet"
)
_TRANSFORMATIONS: dict[EdgeKind, tuple[Literal["DIRECT", "INDIRECT"], str]] = {
    "direct": ("DIRECT", "IDENTITY"),
    "cast": ("DIRECT", "TRANSFORMATION"),
    "expression": ("DIRECT", "TRANSFORMATION"),
    "aggregate": ("DIRECT", "AGGREGATION"),
    "filter": ("INDIRECT", "FILTER"),
    "join": ("INDIRECT", "JOIN"),
    "group_by": ("INDIRECT", "GROUP_BY"),
    "window": ("INDIRECT", "WINDOW"),
}


class _Facet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    producer: str = Field(default=PRODUCER, alias="_producer")
    schema_url: str = Field(alias="_schemaURL")


class Transformation(BaseModel):
    """How an input field reaches an output field, in OpenLineage's words."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["DIRECT", "INDIRECT"]
    subtype: str
    description: str = ""
    masking: bool = False


class InputField(BaseModel):
    """One input field of an output column."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str
    name: str
    field: str
    transformations: list[Transformation]


class ColumnLineageEntry(BaseModel):
    """The input fields of one output column."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    input_fields: list[InputField] = Field(alias="inputFields")


class ColumnLineageFacet(_Facet):
    """The columnLineage dataset facet."""

    schema_url: str = Field(default=COLUMN_LINEAGE_FACET, alias="_schemaURL")
    fields: dict[str, ColumnLineageEntry]


class SchemaField(BaseModel):
    """A column of a dataset."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str


class SchemaFacet(_Facet):
    """The schema dataset facet."""

    schema_url: str = Field(default=SCHEMA_FACET, alias="_schemaURL")
    fields: list[SchemaField]


class Dataset(BaseModel):
    """An input or output dataset of a run."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str
    name: str
    facets: dict[str, SchemaFacet | ColumnLineageFacet] = Field(default_factory=dict)


class Job(BaseModel):
    """The job: one model of the pipeline."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    namespace: str
    name: str


class Run(BaseModel):
    """One run of the job."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    run_id: str = Field(alias="runId")


class RunEvent(BaseModel):
    """An OpenLineage RunEvent; dump it with `model_dump(by_alias=True, mode="json")`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    event_type: Literal["START", "COMPLETE"] = Field(default="COMPLETE", alias="eventType")
    event_time: datetime = Field(alias="eventTime")
    producer: str = PRODUCER
    schema_url: str = Field(default=RUN_EVENT_SCHEMA, alias="schemaURL")
    run: Run
    job: Job
    inputs: list[Dataset]
    outputs: list[Dataset]


def openlineage_events(
    graph: LineageGraph,
    *,
    namespace: str = "suture",
    topic_namespace: str | None = None,
    event_time: datetime | None = None,
) -> list[RunEvent]:
    """One COMPLETE run event per model, in run order; topics live in `topic_namespace`."""
    when = event_time or datetime.now(UTC)

    def dataset_namespace(node: LineageNode) -> str:
        if node.kind == "topic_field" and topic_namespace is not None:
            return topic_namespace
        return namespace

    events = []
    for model in graph.model_order:
        inputs: dict[str, Dataset] = {}
        lineage: dict[str, dict[tuple[str, str, str], list[Transformation]]] = defaultdict(dict)
        for edge in graph.edges:
            target = graph.nodes[edge.target]
            if target.dataset != model or target.column is None or edge.kind == "exposure":
                continue
            source = graph.nodes[edge.source]
            key = (dataset_namespace(source), source.dataset, source.column or "")
            kind, subtype = _TRANSFORMATIONS[edge.kind]
            step = Transformation(type=kind, subtype=subtype, description=edge.kind)
            lineage[target.column].setdefault(key, []).append(step)
            inputs.setdefault(source.dataset, Dataset(namespace=key[0], name=source.dataset))
        columns = [graph.nodes[n].column or "" for n in graph.columns_of(model)]
        facets: dict[str, SchemaFacet | ColumnLineageFacet] = {
            "schema": SchemaFacet(fields=[SchemaField(name=c) for c in columns if "." not in c]),
            "columnLineage": ColumnLineageFacet(fields=_entries(lineage)),
        }
        events.append(
            RunEvent(
                event_time=when,
                run=Run(run_id=str(uuid.uuid4())),
                job=Job(namespace=namespace, name=model),
                inputs=[inputs[name] for name in sorted(inputs)],
                outputs=[Dataset(namespace=namespace, name=model, facets=facets)],
            )
        )
    return events


def _entries(
    lineage: dict[str, dict[tuple[str, str, str], list[Transformation]]],
) -> dict[str, ColumnLineageEntry]:
    return {
        column: ColumnLineageEntry(
            input_fields=[
                InputField(namespace=ns, name=name, field=field, transformations=steps)
                for (ns, name, field), steps in sorted(sources.items())
            ]
        )
        for column, sources in sorted(lineage.items())
    }
