"""Shared test fixtures; each fixture family lives in its own module under tests/fixtures/."""

from __future__ import annotations

# Add a module here when you add a fixture family (tests/fixtures/<name>.py).
pytest_plugins: list[str] = [
    "tests.fixtures.postgres",
    "tests.fixtures.fake_openai",
    "tests.fixtures.kafka",
]
