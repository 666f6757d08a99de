"""The column-lineage conformance corpus: load its cases, run the engine on them, score them.

Cases live in `evals/lineage_corpus/*.yaml` (format in that folder's README). A case lists the
value edges it expects (`source -> target`, any value kind) and, optionally, its predicate edges
(`source -> target kind`, kind one of filter, join, group_by, window; `target.*` stands for every
column the statement writes). A case matches exactly when both sets equal the engine's.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import AssistantError
from core.yaml_source import YamlSourceError, load_yaml_text
from tools.lineage.scope import DEPENDENCY_KINDS, VALUE_KINDS
from tools.lineage.script import StatementLineage, lineage_schema, script_lineage

CORPUS_DIR = Path(__file__).parent / "lineage_corpus"
THRESHOLD_FILE = Path(__file__).parent / "lineage_corpus_threshold.yaml"
_VALUE = re.compile(r"^(\S+) -> (.+)$")
_PREDICATE = re.compile(r"^(\S+) -> (.+) (" + "|".join(DEPENDENCY_KINDS) + r")$")
# Corpus dialect names that sqlglot spells differently ("ansi": sqlglot's generic dialect).
_DIALECTS = {"ansi": ""}


class CorpusError(AssistantError):
    """A corpus file that cannot be used, with the file and what to fix."""


class LineageCase(BaseModel):
    """One SQL script and the column edges it must yield."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    lineage_class: str = Field(alias="class", description="cte, union, merge, procedure, ...")
    dialect: str
    source: str = Field(description="Where the case comes from: a test suite's test, or own.")
    sql: str
    schema_: dict[str, list[str]] = Field(default_factory=dict, alias="schema")
    value: list[str] = Field(description="Expected value edges, `t.col -> target.col`.")
    predicates: list[str] | None = Field(
        default=None, description="Expected predicate edges; None: not checked."
    )
    note: str | None = Field(default=None, description="How the case differs from its source.")

    @field_validator("value")
    @classmethod
    def _value_edges(cls, edges: list[str]) -> list[str]:
        for edge in edges:
            if not _VALUE.match(edge):
                raise ValueError(f"value edge {edge!r} must read 'source -> target'")
        return edges

    @field_validator("predicates")
    @classmethod
    def _predicate_edges(cls, edges: list[str] | None) -> list[str] | None:
        for edge in edges or []:
            if not _PREDICATE.match(edge):
                raise ValueError(f"predicate edge {edge!r} must read 'source -> target kind'")
        return edges

    @property
    def sqlglot_dialect(self) -> str:
        """The dialect name sqlglot reads."""
        return _DIALECTS.get(self.dialect, self.dialect)


@dataclass(frozen=True)
class CaseResult:
    """What the engine yielded for one case, against what the case expects."""

    case: LineageCase
    expected: frozenset[str]
    actual: frozenset[str]
    seconds: float
    statements: int
    error: str | None = None

    @property
    def exact(self) -> bool:
        """True when the engine yielded exactly the expected edges, without error."""
        return self.error is None and self.expected == self.actual

    @property
    def missing(self) -> frozenset[str]:
        """Expected edges the engine did not yield."""
        return self.expected - self.actual

    @property
    def extra(self) -> frozenset[str]:
        """Edges the engine yielded that the case does not expect."""
        return self.actual - self.expected


@dataclass
class ClassScore:
    """Exact match, edge precision and recall of a group of cases."""

    name: str
    cases: int = 0
    exact: int = 0
    errors: int = 0
    true_edges: int = 0
    expected_edges: int = 0
    actual_edges: int = 0
    seconds: float = 0.0
    statements: int = 0
    failed: list[str] = field(default_factory=list)

    def add(self, result: CaseResult) -> None:
        """Count one case."""
        self.cases += 1
        self.exact += result.exact
        self.errors += result.error is not None
        self.true_edges += len(result.expected & result.actual)
        self.expected_edges += len(result.expected)
        self.actual_edges += len(result.actual)
        self.seconds += result.seconds
        self.statements += result.statements
        if not result.exact:
            self.failed.append(result.case.id)

    @property
    def exact_share(self) -> float:
        """Share of cases matched exactly."""
        return self.exact / self.cases if self.cases else 1.0

    @property
    def precision(self) -> float:
        """Share of the engine's edges that the cases expect."""
        return self.true_edges / self.actual_edges if self.actual_edges else 1.0

    @property
    def recall(self) -> float:
        """Share of the expected edges the engine yielded."""
        return self.true_edges / self.expected_edges if self.expected_edges else 1.0

    @property
    def ms_per_statement(self) -> float:
        """CPU milliseconds of lineage per statement (other processes do not inflate it)."""
        return 1000 * self.seconds / self.statements if self.statements else 0.0


def load_corpus(directory: Path = CORPUS_DIR) -> list[LineageCase]:
    """Every case of every `*.yaml` file under `directory` (templates expanded), ids unique."""
    cases: list[LineageCase] = []
    for path in sorted(directory.glob("*.yaml")):
        try:
            data: Any = load_yaml_text(path.read_text(encoding="utf-8"))
        except (OSError, YamlSourceError) as error:
            raise CorpusError(f"cannot read corpus file {str(path)!r}: {error}") from error
        items = expand_templates(data) if isinstance(data, dict) and "templates" in data else data
        if not isinstance(items, list):
            raise CorpusError(f"{str(path)!r} must hold a list of cases or `templates:`")
        for index, item in enumerate(items):
            try:
                cases.append(LineageCase.model_validate(item))
            except ValidationError as error:
                raise CorpusError(
                    f"{path.name}: case #{index + 1} is malformed: {error}"
                ) from error
    seen: set[str] = set()
    for case in cases:
        key = f"{case.lineage_class}/{case.id}"
        if key in seen:
            raise CorpusError(f"case id {key!r} appears twice; ids must be unique per class")
        seen.add(key)
    return cases


def expand_templates(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Cases from templates: every template once per variant (placeholders `{name}` filled).

    >>> expand_templates({"variants": [{"dialect": "duckdb", "t": "x"}], "templates": [
    ...     {"id": "a", "class": "c", "source": "own", "sql": "select {t}.a from {t}",
    ...      "value": ["{t}.a -> query.a"]}]})[0]["sql"]
    'select x.a from x'
    """
    variants: Sequence[Mapping[str, str]] = data.get("variants") or []
    cases: list[dict[str, Any]] = []
    for template, variant in itertools.product(data["templates"], variants):
        if variant["dialect"] in template.get("skip_dialects", []):
            continue
        fill = dict(variant)

        def filled(text: str, fill: Mapping[str, str] = fill) -> str:
            return text.format_map(fill)

        case = {k: v for k, v in template.items() if k != "skip_dialects"}
        case["id"] = f"{template['id']}_{variant['dialect']}"
        case["dialect"] = variant["dialect"]
        case["sql"] = filled(template["sql"])
        case["value"] = [filled(e) for e in template.get("value", [])]
        if "predicates" in template:
            case["predicates"] = [filled(e) for e in template["predicates"]]
        if "schema" in template:
            case["schema"] = {
                filled(t): [filled(c) for c in cols] for t, cols in template["schema"].items()
            }
        cases.append(case)
    return cases


def run_case(case: LineageCase) -> CaseResult:
    """Run the engine on one case; an engine error is recorded, never raised."""
    expected = {edge.lower() for edge in case.value}
    check_predicates = case.predicates is not None
    if check_predicates:
        expected |= {edge.lower() for edge in case.predicates or []}
    started = time.process_time()
    try:
        schema = lineage_schema(
            {t: dict.fromkeys(cols, "VARCHAR") for t, cols in case.schema_.items()},
            case.sqlglot_dialect,
        )
        lineages = script_lineage(case.sql, dialect=case.sqlglot_dialect, schema=schema)
    except AssistantError as error:
        seconds = time.process_time() - started
        return CaseResult(case, frozenset(expected), frozenset(), seconds, 1, str(error))
    seconds = time.process_time() - started
    actual = {edge.lower() for edge in _edges(lineages, predicates=check_predicates)}
    return CaseResult(case, frozenset(expected), frozenset(actual), seconds, len(lineages) or 1)


def _edges(lineages: Sequence[StatementLineage], *, predicates: bool) -> set[str]:
    values = {(e.source, e.target) for s in lineages for e in s.edges if e.kind in VALUE_KINDS}
    edges = {f"{source} -> {target}" for source, target in end_to_end(values)}
    reach: dict[tuple[str, str, str], set[str]] = {}
    columns: dict[str, set[str]] = {}
    for lineage in lineages:
        columns.setdefault(lineage.target, set()).update(lineage.columns)
        for edge in lineage.edges:
            if edge.kind in VALUE_KINDS:
                continue
            if predicates:
                key = (edge.source, edge.target_dataset, edge.kind)
                reach.setdefault(key, set()).add(edge.target_column)
    for (source, dataset, kind), reached in reach.items():
        if len(columns[dataset]) > 1 and reached >= columns[dataset]:
            edges.add(f"{source} -> {dataset}.* {kind}")  # every column the statement writes
        else:
            edges |= {f"{source} -> {dataset}.{column} {kind}" for column in reached}
    return edges


def end_to_end(edges: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """(first, last) column of every maximal path: what a script derives, end to end.

    A table a script writes and then reads (a temporary table, a view) is a step of the
    path, not an end; an edge from a column to itself (`SET a = a + 1`) is kept as it is.

    >>> sorted(end_to_end([("t.a", "tmp.a"), ("tmp.a", "out.a"), ("t.b", "out.b")]))
    [('t.a', 'out.a'), ('t.b', 'out.b')]
    """
    forward: dict[str, set[str]] = {}
    has_input: set[str] = set()
    result: set[tuple[str, str]] = set()
    for source, target in edges:
        if source == target:
            result.add((source, target))  # kept as an edge, never a step
        else:
            forward.setdefault(source, set()).add(target)
            has_input.add(target)
    visited: set[str] = set()
    for start in [n for n in forward if n not in has_input]:
        seen, stack = {start}, [start]
        visited.add(start)
        while stack:
            node = stack.pop()
            for nxt in forward.get(node, ()):
                if nxt in seen:
                    continue
                seen.add(nxt)
                visited.add(nxt)
                if nxt in forward:
                    stack.append(nxt)
                else:
                    result.add((start, nxt))
    # An edge inside a cycle with no way in (t.a -> u.a -> t.a) has no start: keep it as is.
    for source, targets in forward.items():
        if source not in visited:
            result |= {(source, t) for t in targets}
    return result


def score(results: Iterable[CaseResult]) -> dict[str, ClassScore]:
    """Scores per class, plus `all` over every case."""
    scores: dict[str, ClassScore] = {"all": ClassScore("all")}
    for result in results:
        name = result.case.lineage_class
        scores.setdefault(name, ClassScore(name)).add(result)
        scores["all"].add(result)
    return dict(sorted(scores.items(), key=lambda item: (item[0] == "all", item[0])))


def score_table(scores: Mapping[str, ClassScore]) -> str:
    """The scores as a fixed-width table, one class a line and `all` last."""
    lines = [f"{'class':<18}{'cases':>6}{'exact':>8}{'P':>7}{'R':>7}{'errors':>8}{'ms/stmt':>9}"]
    for s in scores.values():
        lines.append(
            f"{s.name:<18}{s.cases:>6}{s.exact_share:>8.3f}{s.precision:>7.3f}"
            f"{s.recall:>7.3f}{s.errors:>8}{s.ms_per_statement:>9.2f}"
        )
    return "\n".join(lines)
