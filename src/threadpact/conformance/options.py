"""The suite's command-line options: the client to check (factory or driver), and PostgreSQL."""

import os

import pytest

from threadpact.client.adapter import DEFAULT_CLIENT, ClientFactory, load_factory
from threadpact.conformance import POSTGRES_VARIABLE
from threadpact.conformance.databases import POSTGRES, SQLITE
from threadpact.conformance.driver import DEFAULT_TIMEOUT


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
        "--driver",
        default=None,
        metavar="COMMAND",
        help="drive a client process instead: a shell command speaking the driver protocol "
        "(docs/driver-protocol.md), started once per test in the invocation directory; "
        "--client is then ignored",
    )
    group.addoption(
        "--driver-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"how long one driver request may take (default {DEFAULT_TIMEOUT:g})",
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


def chosen_driver(config: pytest.Config) -> str | None:
    """The driver command ``--driver`` names, or None to use a factory."""
    command = str(config.getoption("--driver", default=None) or "").strip()
    return command or None


def driver_timeout(config: pytest.Config) -> float:
    """Seconds one driver request may take."""
    value = float(config.getoption("--driver-timeout", default=DEFAULT_TIMEOUT))
    if value <= 0:
        raise pytest.UsageError(f"--driver-timeout must be positive, got {value:g}")
    return value


def postgres_url(config: pytest.Config) -> str | None:
    """The PostgreSQL server to create databases on, or None to run SQLite only."""
    return str(config.getoption("--postgres-url", default=None) or "") or None


def backends(config: pytest.Config) -> list[object]:
    """The backends every scenario runs on: SQLite, and PostgreSQL when given a server."""
    chosen: list[object] = [SQLITE]
    if postgres_url(config):
        chosen.append(pytest.param(POSTGRES, marks=pytest.mark.postgres))
    return chosen
