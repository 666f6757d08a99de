"""The guardrail registry: `@guardrail` rules over a proposed patch, and `enforce`."""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterable

from pydantic import BaseModel, ConfigDict, Field

from core.contracts import Contract, Pipeline
from core.errors import GuardrailViolation, ToolError
from core.models import ModelPatch, SchemaMapping, Verdict


class PatchReview(BaseModel):
    """What a guardrail looks at: the pipeline before the fix, the patches and the mapping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pipeline: Pipeline = Field(description="The pipeline as it is before the fix.")
    dataset: str = Field(description="The topic whose change the fix answers.")
    patches: list[ModelPatch]
    mapping: SchemaMapping = Field(default_factory=SchemaMapping)
    contract: Contract | None = None

    def patched(self) -> Pipeline:
        """The pipeline with every patch applied (unknown models are added as given)."""
        models = dict(self.pipeline.models)
        models.update({p.model: p.after_sql for p in self.patches})
        return self.pipeline.model_copy(update={"models": models})


Rule = Callable[[PatchReview], Verdict]
_RULES: dict[str, Rule] = {}
_SUMMARIES: dict[str, str] = {}
RULE_MODULES: tuple[str, ...] = (
    "guardrails.sql_safety",
    "guardrails.patch_policy",
    "guardrails.structure",
)
"""Modules whose @guardrail rules always run: imported here, so that no import path (a
namespace-package import of `guardrails`, say) can silently leave the registry empty."""


def _load_rules() -> None:
    for module in RULE_MODULES:
        importlib.import_module(module)


def guardrail(rule: Rule) -> Rule:
    """Register `rule` under its function name; its docstring's first line is its summary."""
    name = rule.__name__
    if name in _RULES:
        raise ToolError(f"guardrail {name!r} is registered twice; rename one of them")

    @functools.wraps(rule)
    def named(review: PatchReview) -> Verdict:
        return rule(review).model_copy(update={"rule": name})

    _RULES[name] = named
    _SUMMARIES[name] = (rule.__doc__ or "").strip().splitlines()[0] if rule.__doc__ else ""
    return named


def rules() -> dict[str, str]:
    """Every registered rule id -> its one-line summary."""
    _load_rules()
    return dict(_SUMMARIES)


def check(review: PatchReview, names: Iterable[str] | None = None) -> list[Verdict]:
    """Run the named rules (all by default) and return every verdict, allowed or not."""
    _load_rules()
    selected = list(names) if names is not None else sorted(_RULES)
    unknown = [n for n in selected if n not in _RULES]
    if unknown:
        raise ToolError(f"unknown guardrails {unknown}; known: {sorted(_RULES)}")
    return [_RULES[n](review) for n in selected]


def enforce(review: PatchReview, names: Iterable[str] | None = None) -> list[Verdict]:
    """Run the rules; raise GuardrailViolation with the first blocking verdict."""
    verdicts = check(review, names)
    for verdict in verdicts:
        if not verdict.allowed:
            raise GuardrailViolation(verdict)
    return verdicts
