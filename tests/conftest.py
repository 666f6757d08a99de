"""Shared test fixtures; each fixture family lives in its own module under tests/fixtures/."""

from __future__ import annotations

import pytest

# Add a module here when you add a fixture family (tests/fixtures/<name>.py).
pytest_plugins: list[str] = [
    "tests.fixtures.postgres",
    "tests.fixtures.fake_openai",
    "tests.fixtures.kafka",
    "tests.fixtures.tls",
    "tests.fixtures.registry",
    "tests.fixtures.github_mock",
    "tests.fixtures.gitlab_server",
]

# Tests that start or reach the embedded broker are `kafka` tests even when their module forgot
# the marker, so `-m "not kafka"` (the fast subset in the README) never waits for a broker.
_KAFKA_FIXTURES = frozenset(
    {
        "embedded_broker",
        "durable_broker",
        "kafka_bootstrap",
        "own_bootstrap",
        "tls_backend",
        "tls_broker",
        "sasl_broker",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs a broker with `kafka`."""
    for item in items:
        if _KAFKA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)
