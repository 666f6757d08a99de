"""Answers lineage questions: a tool-calling model over the graph, or the rules without one.

Either way the answer passes the `answer_names_known_entities` guardrail before it is returned.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

import prompts
from core.errors import LLMOutputError, LLMUnavailableError
from core.ports import LLM, ToolSpec, Turn
from guardrails.answer_entities import (
    answer_names_known_entities,
    mentioned_entities,
    unknown_entities,
)
from tools.lineage import answers as lineage_answers
from tools.lineage.answers import Answer
from tools.lineage.graph import LineageGraph
from tools.lineage.questions import interpret, resolve

logger = logging.getLogger(__name__)
MAX_STEPS = 6


class EntityArgs(BaseModel):
    """Arguments of a tool about one entity."""

    model_config = ConfigDict(extra="forbid")

    entity: str = Field(
        description="A topic field or model column as dataset.column (orders.cust_id), "
        "a dataset (orders), or an exposure name (revenue_dashboard)."
    )


class PathArgs(BaseModel):
    """Arguments of the path tool."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(description="The upstream entity, e.g. a topic field orders.amount.")
    target: str = Field(description="The downstream entity, e.g. a model column or exposure.")


class SearchArgs(BaseModel):
    """Arguments of the find_entities tool."""

    model_config = ConfigDict(extra="forbid")

    contains: str = Field(description="Part of a name; an empty string lists every dataset.")


_TOOLS: dict[str, tuple[str, type[BaseModel]]] = {
    "upstream": (
        "Where an entity comes from: the columns it derives from or depends on.",
        EntityArgs,
    ),
    "downstream": ("Who reads an entity: model columns and exposures derived from it.", EntityArgs),
    "impact": (
        "What renaming, removing or retyping a column breaks: models, columns, "
        "exposures and their owners.",
        EntityArgs,
    ),
    "topics": ("Which Kafka topics, and which of their fields, feed an entity.", EntityArgs),
    "owners": ("Who owns an entity, or who produces and consumes it.", EntityArgs),
    "path": ("The chain of derivations between two entities.", PathArgs),
    "find_entities": ("Names in the lineage graph containing some text.", SearchArgs),
}


@dataclass
class _Session:
    """What the tools showed the model: the only facts its answer may rest on."""

    graph: LineageGraph
    question: str
    citations: list[str] = field(default_factory=list)
    entities: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)

    def run(self, name: str, arguments: dict[str, Any]) -> str:
        """Run one tool call and return its result as JSON text for the model."""
        spec = _TOOLS.get(name)
        if spec is None:
            return json.dumps({"error": f"no tool named {name!r}; use one of {sorted(_TOOLS)}"})
        try:
            args = spec[1].model_validate(arguments)
        except ValidationError as error:
            return json.dumps({"error": f"bad arguments for {name}: {error.errors()}"})
        if isinstance(args, SearchArgs):
            return self._search(args.contains)
        if isinstance(args, PathArgs):
            phrases = [args.source, args.target]
        else:
            assert isinstance(args, EntityArgs)
            phrases = [args.entity]
        resolved = []
        for phrase in phrases:
            entity = resolve(self.graph, phrase)
            if entity is None:
                return self._record(
                    lineage_answers.not_found(self.question, "unknown", phrase, self.graph)
                )
            resolved.append(entity)
        if name == "path":
            return self._record(lineage_answers.path(self.question, self.graph, *resolved))
        handler: Callable[[str, LineageGraph, str], Answer] = getattr(lineage_answers, name)
        return self._record(handler(self.question, self.graph, resolved[0]))

    def _record(self, answer: Answer) -> str:
        self.citations += [c for c in answer.citations if c not in self.citations]
        self.entities |= set(answer.entities)
        self.missing |= set(answer.missing)
        return json.dumps(
            {"found": not answer.missing, "answer": answer.text, "paths": answer.citations}
        )

    def _search(self, contains: str) -> str:
        wanted = contains.strip().lower()
        names = sorted(e for e in self.graph.entities() if wanted in e.lower())[:50]
        self.entities |= set(names)
        return json.dumps({"names": names})


TOOLS: tuple[ToolSpec, ...] = tuple(
    ToolSpec(name=name, description=text, parameters=schema.model_json_schema())
    for name, (text, schema) in _TOOLS.items()
)


async def answer(question: str, graph: LineageGraph, llm: LLM | None) -> Answer:
    """Answer `question` from `graph`: with the model's tool calls if `llm` is given."""
    if llm is None:
        return guarded(interpret(question, graph), graph)
    try:
        drafted = await _ask_model(question, graph, llm)
    except (LLMUnavailableError, LLMOutputError) as error:
        logger.warning("lineage agent: the model failed (%s); answering with the rules", error)
        fallback = interpret(question, graph)
        note = " (The language model was unavailable, so the rules answered.)"
        return guarded(fallback.model_copy(update={"text": fallback.text + note}), graph)
    return guarded(drafted, graph)


async def _ask_model(question: str, graph: LineageGraph, llm: LLM) -> Answer:
    prompt = prompts.render(
        "lineage_question", question=question, datasets=", ".join(graph.datasets())
    )
    turns = [Turn(role="system", content=prompt.system), Turn(role="user", content=prompt.user)]
    session = _Session(graph=graph, question=question)
    for _ in range(MAX_STEPS):
        reply = await llm.converse(turns, TOOLS)
        turns.append(reply)
        if not reply.tool_calls:
            return _final(question, reply.content, session)
        for call in reply.tool_calls:
            result = (
                json.dumps({"error": call.error})
                if call.error is not None
                else session.run(call.name, dict(call.arguments))
            )
            turns.append(Turn(role="tool", content=result, tool_call_id=call.id))
    fallback = interpret(question, graph)
    note = f" (The language model did not finish within {MAX_STEPS} steps.)"
    return fallback.model_copy(update={"text": fallback.text + note})


def _final(question: str, text: str, session: _Session) -> Answer:
    known = session.graph.entities()
    named = session.entities | {n for n in mentioned_entities(text) if n in known}
    return Answer(
        question=question,
        text=text.strip(),
        intent="unknown",
        understood=bool(session.citations or session.entities) and not session.missing,
        entities=sorted(named & known),
        citations=session.citations,
        missing=sorted(session.missing),
        origin="llm",
    )


def guarded(answer: Answer, graph: LineageGraph) -> Answer:
    """Apply `answer_names_known_entities`: names the graph lacks are said not to exist."""
    allowed = graph.entities() | set(answer.missing)
    verdict = answer_names_known_entities(answer.text, allowed, answer.entities)
    if verdict.allowed:
        return answer
    logger.info("lineage answer blocked by %s: %s", verdict.rule, verdict.reason)
    unknown = unknown_entities(answer.text, allowed, answer.entities)
    verb = "does" if len(unknown) == 1 else "do"
    text = f"{', '.join(unknown)} {verb} not exist in the lineage graph, so I will not describe it."
    if answer.citations:
        text += " What the graph does show: " + "; ".join(answer.citations) + "."
    return answer.model_copy(
        update={
            "text": text,
            "understood": False,
            "missing": sorted({*answer.missing, *unknown}),
            "entities": [e for e in answer.entities if e not in unknown],
        }
    )
