"""Answers to lineage questions, written from graph queries, each citing the paths it used."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from tools.lineage.graph import LineageGraph
from tools.lineage.scope import DEPENDENCY_KINDS
from tools.lineage.values import LineagePath

Intent = Literal["upstream", "downstream", "impact", "topics", "owners", "path", "unknown"]


class Answer(BaseModel):
    """The answer to a lineage question, with the graph paths it rests on."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    question: str
    text: str = Field(description="The answer in plain language.")
    intent: Intent = "unknown"
    understood: bool = Field(description="False when the question could not be answered.")
    entities: list[str] = Field(default_factory=list, description="Graph entities it names.")
    citations: list[str] = Field(default_factory=list, description="Graph paths it used.")
    missing: list[str] = Field(default_factory=list, description="Names the graph lacks.")
    origin: Literal["rules", "llm"] = "rules"


def not_found(question: str, intent: Intent, name: str, graph: LineageGraph) -> Answer:
    """Say that `name` does not exist in the graph, suggesting close names that do."""
    close = difflib.get_close_matches(name, sorted(graph.entities()), n=3, cutoff=0.6)
    hint = f" Did you mean {_join(close, 'or')}?" if close else ""
    return Answer(
        question=question,
        intent=intent,
        understood=False,
        text=f"{name} does not exist in the lineage graph; I will not guess about it.{hint}",
        entities=close,
        missing=[name],
    )


def upstream(question: str, graph: LineageGraph, entity: str) -> Answer:
    """Where `entity` comes from: the root columns it derives from, and those it depends on."""
    paths = [p for p in graph.upstream(entity) if not _has_parent(graph, p.start)]
    values = [p for p in paths if p.kind not in DEPENDENCY_KINDS]
    depends = [p for p in paths if p.kind in DEPENDENCY_KINDS]
    if not paths:
        text = f"{entity} comes from no column the graph knows (a constant or a row count)."
    else:
        text = f"{entity} is derived from {_kinds(values, start=True) or 'no column directly'}."
        if depends:
            text += f" It also depends on {_kinds(depends, start=True)}."
    return _answer(question, "upstream", entity, text, paths)


def downstream(question: str, graph: LineageGraph, entity: str) -> Answer:
    """Who reads `entity`: model columns and exposures, nearest first."""
    paths = sorted(graph.downstream(entity), key=lambda p: (len(p.edges), p.end))
    readers = [p for p in paths if graph.nodes[p.end].kind != "exposure"]
    exposures = [p for p in paths if graph.nodes[p.end].kind == "exposure"]
    if not paths:
        return _answer(question, "downstream", entity, f"Nothing reads {entity}.", paths)
    text = f"{entity} is read by {_kinds(readers, start=False) or 'no model column'}"
    if exposures:
        text += f"; it reaches {_plural('exposure', [p.end for p in exposures])}"
    return _answer(question, "downstream", entity, text + ".", paths)


def impact(question: str, graph: LineageGraph, entity: str) -> Answer:
    """What renaming, removing or retyping `entity` breaks: models, columns, exposures."""
    node = graph.nodes.get(entity)
    if node is None or node.column is None:
        return downstream(question, graph, entity).model_copy(update={"intent": "impact"})
    result = graph.impact(node.dataset, node.column)
    if not result.models and not result.exposures:
        text = f"Changing {entity} breaks nothing: no model reads it."
    else:
        text = f"Changing {entity} affects {_plural('model', result.models)}"
        text += f" ({len(result.columns)} columns)"
        if result.exposures:
            owned = [f"{o.entity} (owner {o.owner})" for o in result.owners]
            bare = [e for e in result.exposures if e not in {o.entity for o in result.owners}]
            text += f" and {_plural('exposure', owned + bare)}"
        text += "."
    answer = _answer(question, "impact", entity, text, result.paths)
    extra = [*result.models, *(o.owner for o in result.owners)]
    return answer.model_copy(update={"entities": sorted({*answer.entities, *extra})})


def topics(question: str, graph: LineageGraph, entity: str) -> Answer:
    """Which topics (and which of their fields) feed `entity`."""
    paths = [p for p in graph.upstream(entity) if graph.nodes[p.start].kind == "topic_field"]
    by_topic: dict[str, list[str]] = {}
    for path in paths:
        node = graph.nodes[path.start]
        by_topic.setdefault(node.dataset, []).append(node.id)
    if not by_topic:
        return _answer(question, "topics", entity, f"No topic feeds {entity}.", paths)
    parts = [f"{t} (fields {_join(sorted(f))})" for t, f in sorted(by_topic.items())]
    text = f"{entity} is fed by the topic{'s' if len(parts) > 1 else ''} {_join(parts)}."
    answer = _answer(question, "topics", entity, text, paths)
    return answer.model_copy(update={"entities": sorted({*answer.entities, *by_topic})})


def owners(question: str, graph: LineageGraph, entity: str) -> Answer:
    """Who owns `entity`, or failing a declared owner, who produces and consumes it."""
    found = graph.owners(entity)
    if not found:
        text = f"No owner is declared for {entity}, its topics or its consumers."
    elif found[0].role == "owner":
        text = f"{entity} is owned by {_join([o.owner for o in found])}."
    else:
        producers = [o.owner for o in found if o.role == "producer"]
        consumers = [o.owner for o in found if o.role == "consumer"]
        text = f"No owner is declared for {entity} itself."
        if producers:
            text += f" Its source topics are owned by {_join(producers)}."
        if consumers:
            text += f" Its consumers are owned by {_join(consumers)}."
    answer = _answer(question, "owners", entity, text, [])
    return answer.model_copy(update={"entities": sorted({entity, *(o.owner for o in found)})})


def path(question: str, graph: LineageGraph, source: str, target: str) -> Answer:
    """The chain of derivations between two entities, if there is one."""
    found = graph.path(source, target)
    if found is None:
        text = f"No lineage path connects {source} and {target}."
        answer = _answer(question, "path", source, text, [])
        return answer.model_copy(update={"entities": sorted({source, target})})
    answer = _answer(
        question, "path", source, f"{found.render()} (overall: {found.kind}).", [found]
    )
    return answer.model_copy(update={"entities": sorted({*answer.entities, source, target})})


def _answer(
    question: str, intent: Intent, entity: str, text: str, paths: Iterable[LineagePath]
) -> Answer:
    cited = list(paths)
    named = {entity} | {n for p in cited for e in p.edges for n in (e.source, e.target)}
    return Answer(
        question=question,
        intent=intent,
        understood=True,
        text=text,
        entities=sorted(named),
        citations=[p.render() for p in cited],
    )


def _has_parent(graph: LineageGraph, node: str) -> bool:
    return any(e.target == node for e in graph.edges)


def _kinds(paths: list[LineagePath], *, start: bool) -> str:
    return _join([f"{p.start if start else p.end} ({p.kind})" for p in paths])


def _plural(noun: str, items: list[str]) -> str:
    return f"the {noun}{'s' if len(items) > 1 else ''} {_join(items)}"


def _join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {word} {items[-1]}"
