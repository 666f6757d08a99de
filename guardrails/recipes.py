"""Validation of recipe patches: each is re-derived from the model and its evidence re-checked.

A recipe patch passes only if the recipe's evidence still holds on the new events (every repeat
of the key is a redelivery), the patch is exactly what the recipe makes of the model, and the
patched models keep the key unique on the replayed events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from core.contracts import Contract, Pipeline
from core.errors import ReplayError, ToolError
from core.models import CheckResult, ModelPatch, Recipe
from tools.healing.harm import repeated_keys_absorbed
from tools.healing.recipes import apply_recipe, dedup_recipe
from tools.matching.samples import Events


def recipe_made(patch: ModelPatch, before_sql: str) -> str | None:
    """Why `patch` is not what its recipe makes of `before_sql`, or None when it is."""
    if patch.recipe is None:
        return "the patch names no recipe"
    try:
        expected = apply_recipe(before_sql, patch.dialect, patch.recipe)
    except ToolError as error:
        return str(error)
    if expected != patch.after_sql:
        return f"the SQL is not what the {patch.recipe.kind} recipe makes of the model"
    return None


def _evidence(recipe: Recipe, contract: Contract | None, after: Events) -> str | None:
    if contract is None:
        return f"no contract for {recipe.dataset!r}: nothing declares the key"
    found = dedup_recipe(contract, after)
    if isinstance(found, str):
        return found
    if (found.key, found.order_by) != (recipe.key, recipe.order_by):
        return f"the events support deduplicating on {found.key!r}, not {recipe.key!r}"
    return None


def recipe_checks(
    patched: Pipeline,
    patches: Sequence[ModelPatch],
    contracts: Mapping[str, Contract],
    after: Events,
) -> list[CheckResult]:
    """One CheckResult per recipe: its evidence holds and the patched models keep keys unique."""
    recipes = {p.recipe.model_dump_json(): p.recipe for p in patches if p.recipe is not None}
    results = []
    for _, recipe in sorted(recipes.items()):
        problem = _evidence(recipe, contracts.get(recipe.dataset), after)
        if problem is None:
            try:
                unique = repeated_keys_absorbed(
                    patched, contracts, recipe.dataset, recipe.key, list(after)
                )
            except (ReplayError, ToolError) as error:
                unique = False
                problem = str(error)
            if not unique and problem is None:
                problem = f"the patched models still repeat {recipe.key!r}"
        detail = problem or f"every repeat of {recipe.key!r} is a redelivery; kept once per key"
        results.append(
            CheckResult(name=f"recipe:{recipe.kind}", passed=problem is None, detail=detail)
        )
    return results
