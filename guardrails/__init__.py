"""Checks that can block an action: pure, fast, deterministic rules over a proposed patch.

Each rule is registered with `@guardrail`; its function name is its id, its docstring its summary.
"""

from __future__ import annotations

from guardrails import patch_policy, sql_safety, structure
from guardrails.registry import PatchReview, Rule, check, enforce, guardrail, rules

__all__ = [
    "PatchReview",
    "Rule",
    "check",
    "enforce",
    "guardrail",
    "patch_policy",
    "rules",
    "sql_safety",
    "structure",
]
