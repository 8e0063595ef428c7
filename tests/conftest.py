"""Shared fixtures live in tests/fixtures/ and are loaded here."""

pytest_plugins = ["tests.fixtures.databases", "tests.fixtures.processes"]
