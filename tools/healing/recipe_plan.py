"""plan_recipes: which evidence-gated recipes answer a set of findings, and why others do not."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from core.contracts import Contract, Pipeline
from core.models import Detection, FieldMapping, ModelPatch, SchemaMapping
from tools.healing.recipes import dedup_recipe, omitted_zero, recipe_patches, zero_restored
from tools.matching.samples import Events


class Samples(Protocol):
    """The events before and after the change."""

    @property
    def before(self) -> Events: ...

    @property
    def after(self) -> Events: ...


@dataclass(frozen=True)
class RecipePlan:
    """Patches and mapping entries the recipes make, and the findings none could answer."""

    patches: list[ModelPatch] = field(default_factory=list)
    mapping: SchemaMapping = field(default_factory=SchemaMapping)
    refusals: list[str] = field(default_factory=list)
    unanswered: list[Detection] = field(default_factory=list)

    @property
    def covers_all(self) -> bool:
        """Every finding has a recipe (and there was at least one)."""
        return not self.unanswered and self.answers_some

    @property
    def answers_some(self) -> bool:
        """At least one finding has a recipe."""
        return bool(self.patches or self.mapping.entries)


_OMISSIONS = frozenset({"nullability", "null_spike"})


def plan_recipes(
    findings: Sequence[Detection], contract: Contract, pipeline: Pipeline, samples: Samples
) -> RecipePlan:
    """Recipes for `findings`: dedup for redelivered keys, zero values put back where omitted."""
    patches: list[ModelPatch] = []
    entries: list[FieldMapping] = []
    refusals: list[str] = []
    unanswered: list[Detection] = []
    for finding in findings:
        if finding.kind == "duplicates":
            recipe = dedup_recipe(contract, samples.after)
            if isinstance(recipe, str):
                refusals.append(f"no deduplication: {recipe}")
                unanswered.append(finding)
            elif not patches:
                patches = recipe_patches(pipeline, recipe)
            continue
        if finding.kind in _OMISSIONS and finding.field is not None:
            zero = omitted_zero(finding.field, samples.before, samples.after)
            if zero is None:
                refusals.append(f"{finding.field}: missing values are not an omitted zero")
                unanswered.append(finding)
                continue
            entries.append(
                FieldMapping(
                    source=finding.field,
                    target=zero_restored(finding.field, zero),
                    confidence=1.0,
                    rationale=f"the producer omits {finding.field} exactly when it is {zero!r}",
                )
            )
            continue
        unanswered.append(finding)
    return RecipePlan(patches, SchemaMapping(entries=entries), refusals, unanswered)
