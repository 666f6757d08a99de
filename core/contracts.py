"""Data contracts and pipelines, exactly as `shared/specs/scenario-format.md` defines them."""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FieldType = Literal[
    "string", "integer", "number", "boolean", "timestamp", "date", "object", "array"
]
ViolationPolicy = Literal["pass", "quarantine", "block"]
Scalar = str | int | float | bool | None


class ContractField(BaseModel):
    """One field of a topic's events; dotted names address nested fields (address.city)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    type: FieldType
    required: bool = False
    unique: bool = False
    description: str | None = None
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    enum: list[Scalar] | None = None
    pii: bool = False


class Invariant(BaseModel):
    """A semantic integrity constraint: an SQL boolean true for every output row of a model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    model: str = Field(min_length=1)
    check: str = Field(min_length=1)


class Freshness(BaseModel):
    """How late events may be, and how long a topic may stay silent."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_delay_seconds: float | None = Field(default=None, gt=0)
    max_silence_seconds: float | None = Field(default=None, gt=0)


class Contract(BaseModel):
    """The data contract of one Kafka topic; models read the topic as a table of that name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dataset: str = Field(min_length=1)
    owner: str | None = None
    fields: list[ContractField] = Field(min_length=1)
    key: str | None = None
    event_time: str | None = None
    arrival_time: str | None = Field(
        default=None, description="The field a collector stamps on receipt (else record time)."
    )
    on_violation: ViolationPolicy = "pass"
    freshness: Freshness | None = None
    invariants: list[Invariant] = Field(default_factory=list)

    @field_validator("fields")
    @classmethod
    def _names_are_unique(cls, fields: list[ContractField]) -> list[ContractField]:
        seen: set[str] = set()
        for field in fields:
            if field.name in seen:
                raise ValueError(f"field {field.name!r} is declared twice")
            seen.add(field.name)
        return fields

    @model_validator(mode="after")
    def _references_exist(self) -> Contract:
        names = {f.name for f in self.fields}
        for role in ("key", "event_time", "arrival_time"):
            value = getattr(self, role)
            if value is not None and value not in names:
                raise ValueError(f"{role} {value!r} is not one of the contract's fields")
        return self

    def field(self, name: str) -> ContractField | None:
        """The field called `name`, or None."""
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> list[str]:
        """Names of every declared field, in declaration order."""
        return [f.name for f in self.fields]

    @property
    def pii_fields(self) -> frozenset[str]:
        """Fields whose values are redacted in alerts, prompts and logs."""
        return frozenset(f.name for f in self.fields if f.pii)

    def fingerprint(self) -> str:
        """A short stable hash of the contract's content, to tell versions apart."""
        canonical = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class FileText(BaseModel):
    """One file of the pipeline repository: where it is and what it holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, description="The file, relative to the repository root.")
    text: str


class ModelTemplate(BaseModel):
    """A model written as a template (a dbt model's Jinja): the file and the text in it.

    The pipeline's `models` hold the rendered SQL; a fix is written back into `text`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, description="The file, relative to the repository root.")
    text: str


class TemplateContext(BaseModel):
    """What a template's `var()` and `source()` calls render to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    variables: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    sources: dict[str, str] = Field(
        default_factory=dict, description="'source.table' -> the topic (table) models read."
    )
    macros: list[str] = Field(
        default_factory=list, description="The texts of the project's macro files."
    )
    packages: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Installed package name -> the texts of its macro files (dbt_packages/).",
    )


class Pipeline(BaseModel):
    """The pipeline repository's SQL models: model name -> SQL, in one dialect.

    Models written as templates (dbt) keep their source in `templates`, rendered with `context`.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    dialect: str = "duckdb"
    models: dict[str, str] = Field(min_length=1)
    templates: dict[str, ModelTemplate] = Field(default_factory=dict)
    context: TemplateContext = Field(default_factory=TemplateContext)
    contract_files: dict[str, FileText] = Field(
        default_factory=dict,
        description="Topic -> the schema file declaring its contract, where that is not "
        "suture's own contracts/ folder (a dbt project's sources).",
    )
    read_only: dict[str, str] = Field(
        default_factory=dict,
        description="Model -> why no fix may change it: what it is and where it comes from "
        "(a dbt package's model, a dbt seed). Read for lineage and replay, never patched.",
    )
