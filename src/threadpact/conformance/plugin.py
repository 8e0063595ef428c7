"""The pytest plugin that runs the suite: load it with ``-p threadpact.conformance.plugin``.

It adds ``--client`` and ``--postgres-url``, checks that the client loads before
any provider starts, runs every scenario on SQLite (and on PostgreSQL when given a
server) and brings in the fixtures of :mod:`threadpact.conformance.fixtures`.
"""

import pytest

from threadpact.conformance.options import add_options, backends, chosen_factory

pytest_plugins = ["threadpact.conformance.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--client`` and ``--postgres-url``."""
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``postgres`` mark; fail before any provider starts if the client won't load."""
    config.addinivalue_line(
        "markers", "postgres: runs on the PostgreSQL server --postgres-url names"
    )
    chosen_factory(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses the live provider once per backend."""
    if "live" in metafunc.fixturenames:
        metafunc.parametrize("live", backends(metafunc.config), indirect=True, scope="session")
