"""Replay events through a pipeline's SQL models in a fresh in-memory DuckDB, and check invariants.

Output rows are JSON-friendly and deterministic: naive timestamps become ISO 8601 strings
(`2026-01-01T10:05:00`), zoned ones are converted to UTC and end in `Z`; dates and times are ISO
strings; decimals become ints when their scale is 0 and floats otherwise; NaN and infinities become
null; instants beyond year 9999 keep Arrow's text (`<value out of range: ...>`); intervals
become ISO 8601 durations (`P0M1DT0S`); blobs base64 text; maps lists of
`[key, value]` pairs. The session runs in UTC so results do not depend on the host.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence, Set
from datetime import UTC, date, datetime, time
from decimal import Decimal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import sqlglot
from pydantic import BaseModel, ConfigDict, Field, JsonValue
from sqlglot import exp
from sqlglot.errors import SqlglotError

from core.contracts import Contract, Invariant, Pipeline
from core.errors import ReplayError, ToolError
from tools.sql.event_table import event_table
from tools.sql.model_graph import build_graph, parse_model, resolve_name, table_name

Rows = Sequence[Mapping[str, object]]
EXAMPLES = 3


class OutputColumn(BaseModel):
    """One output column of a model: its name and DuckDB type (BIGINT, VARCHAR, ...)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: str


class ModelOutput(BaseModel):
    """What one model produced: its columns and its rows (JSON-friendly)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: list[OutputColumn]
    rows: list[dict[str, JsonValue]]


class CheckOutcome(BaseModel):
    """An invariant evaluated on a model's output: violating rows counted, a few shown."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    model: str
    check: str
    rows: int = 0
    violations: int = 0
    examples: list[dict[str, JsonValue]] = Field(default_factory=list)
    error: str | None = Field(default=None, description="Why the check could not be evaluated.")

    @property
    def passed(self) -> bool:
        """True when the check ran and no row violated it."""
        return self.error is None and self.violations == 0


class ReplayResult(BaseModel):
    """Every model's output, plus the invariants checked on it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    outputs: dict[str, ModelOutput]
    checks: list[CheckOutcome] = Field(default_factory=list)


def jsonable(value: object) -> JsonValue:
    """`value` as fetched from DuckDB, converted by the rules in the module docstring.

    >>> jsonable({"d": Decimal("1.50"), "t": datetime(2026, 1, 1, 10, 5), "n": float("nan")})
    {'d': 1.5, 't': '2026-01-01T10:05:00', 'n': None}
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        exponent = value.as_tuple().exponent
        return int(value) if isinstance(exponent, int) and exponent >= 0 else float(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.isoformat()
        return value.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if all(hasattr(value, a) for a in ("months", "days", "nanoseconds")):
        seconds = value.nanoseconds / 1e9  # type: ignore[attr-defined]
        return f"P{value.months}M{value.days}DT{seconds:g}S"  # type: ignore[attr-defined]
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return str(value)


def to_duckdb(sql: str, dialect: str, known: Set[str] | None = None, model: str = "<sql>") -> str:
    """Transpile one model to DuckDB, pointing references to `known` tables at their plain name.

    >>> to_duckdb("select to_date(x) from raw.orders", "spark", {"orders"})
    'SELECT TRY_CAST(x AS DATE) FROM "orders"'
    """
    known = set(known or ())
    tree = parse_model(sql, dialect, model).copy()
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    for table in list(tree.find_all(exp.Table)):
        name = table_name(table)
        resolved = resolve_name(name, known) if name and name not in ctes else name
        if resolved in known and (resolved != name or table.db):
            alias = table.args.get("alias")
            table.replace(exp.Table(this=exp.to_identifier(resolved, quoted=True), alias=alias))
    try:
        return tree.sql(dialect="duckdb")
    except SqlglotError as error:
        raise ToolError(f"model {model!r} cannot be transpiled to duckdb: {error}") from error


def _quoted(name: str) -> str:
    return exp.to_identifier(name, quoted=True).sql(dialect="duckdb")


def _load(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    con.register("__suture_load", table)
    try:
        con.execute(f"CREATE TABLE {_quoted(name)} AS SELECT * FROM __suture_load")
    finally:
        con.unregister("__suture_load")


def _column_values(column: pa.ChunkedArray) -> list[object]:
    try:
        return list(column.to_pylist())
    except (OverflowError, ValueError):
        # instants beyond Python's datetime range (year > 9999): keep Arrow's text for them
        return list(pc.cast(column, pa.string()).to_pylist())


def _fetch(con: duckdb.DuckDBPyConnection, query: str) -> ModelOutput:
    relation = con.sql(query)
    columns = [
        OutputColumn(name=n, type=str(t))
        for n, t in zip(relation.columns, relation.types, strict=True)
    ]
    table = relation.to_arrow_table()
    values = [_column_values(column) for column in table.columns]
    rows = [
        {c.name: jsonable(v[i]) for c, v in zip(columns, values, strict=True)}
        for i in range(table.num_rows)
    ]
    return ModelOutput(columns=columns, rows=rows)


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("SET TimeZone = 'UTC'")
    return con


def _check(
    con: duckdb.DuckDBPyConnection, invariant: Invariant, dialect: str, rows: int
) -> CheckOutcome:
    outcome = CheckOutcome(
        name=invariant.name, model=invariant.model, check=invariant.check, rows=rows
    )
    try:
        condition = sqlglot.parse_one(invariant.check, read=dialect)
        where = exp.Not(this=exp.Paren(this=condition))
        table = exp.to_table(_quoted(invariant.model), dialect="duckdb")
        count = exp.select(exp.Count(this=exp.Star())).from_(table).where(where)
        violations = int(con.execute(count.sql(dialect="duckdb")).fetchall()[0][0])
        shown = exp.select("*").from_(table).where(where).limit(EXAMPLES)
        examples = _fetch(con, shown.sql(dialect="duckdb")).rows if violations else []
    except (SqlglotError, duckdb.Error) as error:
        return outcome.model_copy(update={"error": f"{type(error).__name__}: {error}"})
    return outcome.model_copy(update={"violations": violations, "examples": examples})


def replay(
    pipeline: Pipeline,
    tables: Mapping[str, Rows],
    contracts: Mapping[str, Contract] = {},
    invariants: Sequence[Invariant] = (),
) -> ReplayResult:
    """Run every model in dependency order over `tables` (topic -> events), then `invariants`."""
    topics = set(tables) | set(contracts)
    graph = build_graph(pipeline, topics)
    con = _connect()
    try:
        for topic in sorted(topics):
            _load(con, topic, event_table(list(tables.get(topic, ())), contracts.get(topic)))
        known = topics | set(pipeline.models)
        outputs: dict[str, ModelOutput] = {}
        for model in graph.order():
            query = to_duckdb(pipeline.models[model], pipeline.dialect, known, model)
            try:
                con.execute(f"CREATE TABLE {_quoted(model)} AS {query}")
                outputs[model] = _fetch(con, f"SELECT * FROM {_quoted(model)}")
            except duckdb.Error as error:
                raise ReplayError(
                    f"model {model!r} failed in DuckDB: {error}; fix its SQL or the events it reads"
                ) from error
        checks = [
            _check(con, inv, pipeline.dialect, len(outputs[inv.model].rows))
            if inv.model in outputs
            else CheckOutcome(
                name=inv.name,
                model=inv.model,
                check=inv.check,
                error=f"model {inv.model!r} is not in the pipeline",
            )
            for inv in invariants
        ]
    finally:
        con.close()
    return ReplayResult(outputs=outputs, checks=checks)


def run_models(
    pipeline: Pipeline,
    tables: Mapping[str, Rows],
    contracts: Mapping[str, Contract] = {},
) -> dict[str, list[dict[str, JsonValue]]]:
    """Rows each model outputs when `tables` (topic -> events) are replayed through the pipeline."""
    return {m: out.rows for m, out in replay(pipeline, tables, contracts).outputs.items()}


def evaluate_checks(
    pipeline: Pipeline,
    tables: Mapping[str, Rows],
    invariants: Sequence[Invariant],
    contracts: Mapping[str, Contract] = {},
) -> list[CheckOutcome]:
    """Replay, then count the output rows where each invariant's check is false (NULL passes)."""
    return replay(pipeline, tables, contracts, invariants).checks
