"""Shared fixtures: the conformance suite's plugin, and the helpers in tests/fixtures/."""

import pytest

pytest_plugins = [
    "threadpact.conformance.plugin",
    "tests.fixtures.databases",
    "tests.fixtures.processes",
]


def pytest_configure(config: pytest.Config) -> None:
    """Here the conformance scenarios always run on PostgreSQL too (failing if it is absent)."""
    from tests.fixtures.databases import admin_url

    if not config.getoption("--postgres-url"):
        config.option.postgres_url = admin_url()
