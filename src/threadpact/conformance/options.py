"""The suite's command-line options: which client to check, and which PostgreSQL to use."""

import os

import pytest

from threadpact.client.adapter import DEFAULT_CLIENT, ClientFactory, load_factory
from threadpact.conformance import POSTGRES_VARIABLE
from threadpact.conformance.databases import POSTGRES, SQLITE


def add_options(parser: pytest.Parser) -> None:
    """``--client module:factory`` and ``--postgres-url URL``."""
    group = parser.getgroup("threadpact conformance")
    group.addoption(
        "--client",
        default=DEFAULT_CLIENT,
        help="module:factory of the client the conformance suite checks "
        f"(default {DEFAULT_CLIENT}; see threadpact.client.adapter)",
    )
    group.addoption(
        "--postgres-url",
        default=os.environ.get(POSTGRES_VARIABLE) or None,
        help="a PostgreSQL server to also run every scenario on, as a URL of a database "
        f"to create test databases from (default: ${POSTGRES_VARIABLE}; "
        "empty or unset: SQLite only)",
    )


def chosen_factory(config: pytest.Config) -> ClientFactory:
    """The factory named by ``--client``; a usage error (exit code 4) if it cannot load."""
    spec = str(config.getoption("--client", default=DEFAULT_CLIENT))
    try:
        return load_factory(spec)
    except (ImportError, ValueError) as exc:
        raise pytest.UsageError(f"--client {spec}: {exc}") from exc


def postgres_url(config: pytest.Config) -> str | None:
    """The PostgreSQL server to create databases on, or None to run SQLite only."""
    return str(config.getoption("--postgres-url", default=None) or "") or None


def backends(config: pytest.Config) -> list[object]:
    """The backends every scenario runs on: SQLite, and PostgreSQL when given a server."""
    chosen: list[object] = [SQLITE]
    if postgres_url(config):
        chosen.append(pytest.param(POSTGRES, marks=pytest.mark.postgres))
    return chosen
