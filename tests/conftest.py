"""Shared fixtures live in tests/fixtures/ and are loaded here."""

import pytest

from threadpact.client.adapter import DEFAULT_CLIENT

pytest_plugins = ["tests.fixtures.databases", "tests.fixtures.processes"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--client module:factory``: the client the conformance suite checks."""
    parser.addoption(
        "--client",
        default=DEFAULT_CLIENT,
        help="module:factory of the client the conformance suite checks "
        f"(default {DEFAULT_CLIENT}; see threadpact.client.adapter)",
    )
