"""Tests for the batch forms of value classification."""

from __future__ import annotations

import random

from tools.profiling.value_encoding import (
    ISO_DATE,
    ISO_TIMESTAMP,
    all_match,
    shape,
    shapes,
    string_encoding,
    string_encodings,
)

PARTS = ["2026-01-01", "T", " ", "10:00", ":00", ".5", "Z", "+01:00", "\n", "\x00", "x", "1", "-"]


def _texts(rng: random.Random) -> list[str]:
    valid = ["2026-01-01T10:00:00Z", "2026-01-01", "2026-01-01 10:00+01:00"]
    return [
        rng.choice(valid)
        if rng.random() < 0.7
        else "".join(rng.choice(PARTS) for _ in range(rng.randint(0, 6)))
        for _ in range(rng.randint(0, 5))
    ]


def test_batch_classifiers_agree_with_the_one_value_forms() -> None:
    rng = random.Random(0)
    tricky = [["2026-01-01\n"], ["2026-01-01", "2026-01-01\n"], ["a\x00b", "1"], []]
    for texts in [*tricky, *(_texts(rng) for _ in range(3000))]:
        for pattern in (ISO_TIMESTAMP, ISO_DATE):
            assert all_match(pattern, texts) == all(map(pattern.match, texts)), texts
        assert string_encodings(texts) == list(map(string_encoding, texts)), texts
        assert shapes(texts) == list(map(shape, texts)), texts
