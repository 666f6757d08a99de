"""Real column names and values: public schema-matching tables, read as event sources.

Each `TableSpec` names one CSV under the benchmark folder (`../shared/benchmarks/
schema_matching/`), the topic it becomes, and the role of each column it uses: free text, a
category (grouped by in a mart), a measure with its unit, a count, or a timestamp.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from core.errors import ConfigError

Role = Literal["text", "category", "measure", "count", "timestamp"]
Value = str | int | float


@dataclass(frozen=True)
class ColumnSpec:
    """One source column: its name there, the event field it becomes, its role and unit."""

    source: str
    role: Role
    unit: str | None = None
    synthetic: tuple[float, float] | None = None  # a measure the table lacks: uniform range


@dataclass(frozen=True)
class TableSpec:
    """One public table read as a stream of events."""

    path: str
    dataset: str
    entity: str
    event_time: str
    columns: tuple[ColumnSpec, ...]


TABLES: tuple[TableSpec, ...] = (
    TableSpec(
        "valentine_magellan/walmart_amazon/source.csv",
        "product_listings",
        "product",
        "listed_at",
        (
            ColumnSpec("title", "text"),
            ColumnSpec("category", "category"),
            ColumnSpec("brand", "category"),
            ColumnSpec("price", "measure", "dollars"),
        ),
    ),
    TableSpec(
        "valentine_magellan/amazon_google_exp/source.csv",
        "software_offers",
        "offer",
        "offered_at",
        (
            ColumnSpec("title", "text"),
            ColumnSpec("manufacturer", "category"),
            ColumnSpec("price", "measure", "dollars"),
        ),
    ),
    TableSpec(
        "valentine_magellan/beeradvo_ratebeer/source.csv",
        "beer_reviews",
        "review",
        "reviewed_at",
        (
            ColumnSpec("Beer_Name", "text"),
            ColumnSpec("Brew_Factory_Name", "category"),
            ColumnSpec("Style", "category"),
            ColumnSpec("ABV", "measure", "percent"),
            ColumnSpec("serving_temperature", "measure", "celsius", synthetic=(4.0, 13.0)),
        ),
    ),
    TableSpec(
        "valentine_magellan/fodors_zagats/source.csv",
        "restaurant_listings",
        "listing",
        "updated_at",
        (
            ColumnSpec("name", "text"),
            ColumnSpec("addr", "text"),
            ColumnSpec("city", "category"),
            ColumnSpec("type", "category"),
            ColumnSpec("class", "count"),
        ),
    ),
    TableSpec(
        "valentine_magellan/dblp_acm/source.csv",
        "publications",
        "publication",
        "indexed_at",
        (
            ColumnSpec("title", "text"),
            ColumnSpec("authors", "text"),
            ColumnSpec("venue", "category"),
            ColumnSpec("year", "count"),
        ),
    ),
    TableSpec(
        "valentine_tpcdi_subset/prospect_vertical_30_ac2_av/source.csv",
        "prospects",
        "prospect",
        "captured_at",
        (
            ColumnSpec("FirstName", "text"),
            ColumnSpec("LastName", "text"),
            ColumnSpec("City", "text"),
            ColumnSpec("State", "category"),
            ColumnSpec("Gender", "category"),
            ColumnSpec("NumberCars", "count"),
            ColumnSpec("NumberCreditCards", "count"),
        ),
    ),
    TableSpec(
        "valentine_tpcdi_subset/prospect_both_0_30_ac3_ev/source.csv",
        "prospect_profiles",
        "profile",
        "scored_at",
        (
            ColumnSpec("FirstName", "text"),
            ColumnSpec("LastName", "text"),
            ColumnSpec("State", "category"),
            ColumnSpec("MaritalStatus", "category"),
            ColumnSpec("NetWorth", "measure", "dollars"),
        ),
    ),
    TableSpec(
        "gdc/wang/source.csv",
        "clinical_visits",
        "visit",
        "recorded_at",
        (
            ColumnSpec("gender", "category"),
            ColumnSpec("vital_status", "category"),
            ColumnSpec("tumor_site_curated", "category"),
            ColumnSpec("age", "count"),
            ColumnSpec("height", "measure", "centimeters"),
            ColumnSpec("weight", "measure", "kilograms"),
            ColumnSpec("body_temperature", "measure", "celsius", synthetic=(36.1, 38.9)),
        ),
    ),
    TableSpec(
        "gdc/cao/source.csv",
        "tumor_samples",
        "sample",
        "collected_at",
        (
            ColumnSpec("sex", "category"),
            ColumnSpec("tumor_site", "category"),
            ColumnSpec("age", "count"),
            ColumnSpec("tumor_size_cm", "measure", "centimeters"),
            ColumnSpec("number_of_lymph_nodes_examined", "count"),
        ),
    ),
    TableSpec(
        "valentine_wikidata/Musicians_joinable/source.csv",
        "musician_profiles",
        "profile",
        "fetched_at",
        (
            ColumnSpec("givenNameLabel", "text"),
            ColumnSpec("familyNameLabel", "text"),
            ColumnSpec("recordLabelLabel", "category"),
            ColumnSpec("numberOfChildren", "count"),
            ColumnSpec("birthDate", "timestamp"),
            ColumnSpec("activityStart", "timestamp"),
        ),
    ),
    TableSpec(
        "valentine_example/authors/source.csv",
        "citations",
        "paper",
        "harvested_at",
        (
            ColumnSpec("Title", "text"),
            ColumnSpec("Authors", "text"),
            ColumnSpec("Source tittle", "category"),
            ColumnSpec("Cited by", "count"),
            ColumnSpec("Year", "count"),
        ),
    ),
)


def field_name(source: str) -> str:
    """The event field a source column becomes: snake_case ASCII (`Cited by` -> `cited_by`).

    >>> field_name("Brew_Factory_Name"), field_name("givenNameLabel"), field_name("Cited by")
    ('brew_factory_name', 'given_name_label', 'cited_by')
    """
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", source)
    return re.sub(r"[^a-z0-9]+", "_", spaced.lower()).strip("_")


def _clean_text(raw: str) -> str:
    return " ".join(raw.strip().strip("`'").strip().split())


def _number(raw: str) -> float | None:
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*%?\s*", raw)
    return float(match.group(1)) if match else None


def parse_value(raw: str, column: ColumnSpec) -> Value | None:
    """A cell as an event value of its role; None when it is empty or does not fit."""
    if column.role in ("text", "category"):
        text = _clean_text(raw)
        return text or None
    if column.role == "timestamp":
        return raw if re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", raw) else None
    number = _number(raw)
    if number is None:
        return None
    if column.role == "count":
        return int(number) if number == int(number) and number >= 0 else None
    return number


def default_root() -> Path | None:
    """The benchmark folder beside the repository or one of its parents, if there is one."""
    here = Path(__file__).resolve().parents[2]
    for base in (here, *here.parents):
        candidate = base / "shared" / "benchmarks" / "schema_matching"
        if candidate.is_dir():
            return candidate
    return None


@cache
def _rows(path: Path) -> tuple[dict[str, str], ...]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        return tuple(row for row in reader if list(row.values())[: len(header)] != header)


def read_table(root: Path, spec: TableSpec) -> tuple[dict[str, str], ...]:
    """The table's rows (a repeated header row is skipped); ConfigError if it is missing."""
    path = root / spec.path
    if not path.is_file():
        raise ConfigError(f"table {str(path)!r} is missing; pass --tables DIR (schema_matching)")
    return _rows(path)
