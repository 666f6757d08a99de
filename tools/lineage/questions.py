"""The deterministic interpreter of lineage questions: common shapes answered without a model.

>>> parse_question("What breaks if orders.cust_id is renamed?")
('impact', ['orders.cust_id'])
"""

from __future__ import annotations

import re

from tools.lineage import answers as lineage_answers
from tools.lineage.answers import Answer, Intent
from tools.lineage.graph import LineageGraph

# (intent, pattern): the first pattern that matches decides; `x` and `y` capture entity phrases.
_SHAPES: tuple[tuple[Intent, str], ...] = (
    ("path", r"\bpath (?:from|between) (?P<x>.+?) (?:to|and) (?P<y>.+)"),
    ("path", r"\bhow does (?P<x>.+?) (?:reach|flow (?:in)?to|feed|get to|end up in) (?P<y>.+)"),
    (
        "impact",
        r"\bwhat (?:breaks|changes|is affected|would break|happens)\b.*?\bif (?P<x>.+?)"
        r" (?:is|are|gets|were|was) (?:renamed|removed|dropped|changed|deleted|retyped)",
    ),
    (
        "impact",
        r"\bimpact of (?:a )?(?:changing |renaming |removing |dropping )?(?:change to )?"
        r"(?P<x>.+)",
    ),
    (
        "impact",
        r"\bwhat (?:breaks|is affected) (?:when|if) (?:i |we )?(?:rename|remove|drop|"
        r"change) (?P<x>.+)",
    ),
    (
        "topics",
        r"\bwhich (?:kafka )?topics? (?:feed|feeds|go into|reach|flow into|are behind) "
        r"(?P<x>.+)",
    ),
    ("owners", r"\bwho (?:owns|is responsible for|maintains) (?P<x>.+)"),
    ("owners", r"\bowners? of (?P<x>.+)"),
    ("downstream", r"\bwho (?:reads|uses|consumes|depends on) (?P<x>.+)"),
    ("downstream", r"\bwhat (?:reads|uses|consumes|depends on) (?P<x>.+)"),
    ("downstream", r"\b(?:downstream of|consumers of|readers of) (?P<x>.+)"),
    ("upstream", r"\bwhere does (?P<x>.+?) come from"),
    ("upstream", r"\bwhat (?:feeds|goes into) (?P<x>.+)"),
    ("upstream", r"\b(?:upstream of|sources? of|lineage of) (?P<x>.+)"),
    ("upstream", r"\bhow is (?P<x>.+?) (?:computed|derived|calculated|made|built)"),
)
_KIND_WORD = re.compile(r"\s+(?:column|field|model|topic|table|dashboard|exposure)$", re.I)
_FILLER = re.compile(
    r"^(?:the|a|an|column|field|model|topic|table|dashboard|exposure)\s+|[?!.,;:\s]+$",
    re.IGNORECASE,
)
UNDERSTOOD = (
    "where does X come from?",
    "what breaks if X is renamed?",
    "who reads X?",
    "which topics feed X?",
    "who owns X?",
    "path from X to Y",
)


def parse_question(question: str) -> tuple[Intent, list[str]]:
    """The intent of `question` and the entity phrases it names, or ("unknown", [])."""
    for intent, pattern in _SHAPES:
        match = re.search(pattern, question.strip(), re.IGNORECASE)
        if match:
            phrases = [_clean(v) for k, v in match.groupdict().items() if v is not None]
            return intent, phrases
    return "unknown", []


def _clean(phrase: str) -> str:
    phrase = phrase.strip().strip("`'\"")
    previous = None
    while previous != phrase:
        previous, phrase = phrase, _FILLER.sub("", phrase).strip("`'\" ")
    return phrase


def resolve(graph: LineageGraph, phrase: str) -> str | None:
    """The entity a phrase names: exactly, with spaces as underscores, or by one dotted word."""
    for candidate in (phrase, _KIND_WORD.sub("", phrase)):
        found = graph.resolve(candidate)
        if found is not None:
            return found
    words = [w.strip("`'\",?") for w in phrase.split()]
    named = [r for w in words if (r := graph.resolve(w)) is not None and "." in w]
    return named[0] if len(named) == 1 else None


def interpret(question: str, graph: LineageGraph) -> Answer:
    """Answer the common question shapes from the graph; say plainly when it cannot."""
    intent, phrases = parse_question(question)
    if intent == "unknown":
        shapes = "; ".join(UNDERSTOOD)
        return Answer(
            question=question,
            text=f"I cannot answer that without a language model. I understand: {shapes}.",
            understood=False,
        )
    entities = []
    for phrase in phrases:
        entity = resolve(graph, phrase)
        if entity is None:
            return lineage_answers.not_found(question, intent, phrase, graph)
        entities.append(entity)
    if intent == "path":
        return lineage_answers.path(question, graph, entities[0], entities[1])
    handler = {
        "upstream": lineage_answers.upstream,
        "downstream": lineage_answers.downstream,
        "impact": lineage_answers.impact,
        "topics": lineage_answers.topics,
        "owners": lineage_answers.owners,
    }[intent]
    return handler(question, graph, entities[0])
