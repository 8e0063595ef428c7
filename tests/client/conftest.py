"""Fixtures for the client tests: one live provider per backend, a fresh user per test.

Starting a provider costs a second or two, so the client tests share one provider
process per backend for the whole session and give every test its own principal
(the provider is started with many tokens); no test sees another's threads.

``--client module:factory`` picks the client the conformance suite drives
(default: the reference client); see threadpact.client.adapter.
"""

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.client.lab import Lab
from tests.client.transports import LabTransport
from tests.fixtures.databases import (
    BACKENDS,
    create_postgres_database,
    drop_postgres_database,
    sqlite_url,
)
from tests.fixtures.processes import Server, start_provider
from threadpact.client.adapter import DEFAULT_CLIENT, ClientFactory, load_factory
from threadpact.client.api import ThreadsApi

USERS = 400
TOKENS = {f"client-test-token-{n}": f"client-user-{n}" for n in range(USERS)}
_next_user = itertools.count()


def chosen_factory(config: pytest.Config) -> ClientFactory:
    """The factory named by --client; a usage error (exit code 4) if it cannot load."""
    spec = str(config.getoption("--client", default=DEFAULT_CLIENT))
    try:
        return load_factory(spec)
    except (ImportError, ValueError) as exc:
        raise pytest.UsageError(f"--client {spec}: {exc}") from exc


def pytest_configure(config: pytest.Config) -> None:
    chosen_factory(config)  # fail before any provider starts


@dataclass(frozen=True)
class Live:
    """A running provider and its database URL."""

    server: Server
    database_url: str
    backend: str


def start_live(database_url: str, log: Path, port: int | None = None) -> Server:
    """Start a provider that knows every test user's token."""
    tokens = ",".join(f"{token}={name}" for token, name in TOKENS.items())
    return start_provider(database_url, log, env={"THREADPACT_TOKENS": tokens}, port=port)


@pytest.fixture(scope="session", params=BACKENDS)
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """One provider per backend for the whole session."""
    folder = tmp_path_factory.mktemp(f"live-{request.param}")
    url = (
        sqlite_url(folder / "threads.db")
        if request.param == "sqlite"
        else create_postgres_database()
    )
    server = start_live(url, folder / "provider.log")
    try:
        yield Live(server, url, request.param)
    finally:
        server.stop()
        if request.param != "sqlite":
            drop_postgres_database(url)


@pytest.fixture
def token() -> str:
    """A principal no other test uses."""
    number = next(_next_user)
    if number >= USERS:
        pytest.fail(f"more than {USERS} client tests need a user; raise USERS")
    return f"client-test-token-{number}"


@pytest.fixture
def observer(live: Live, token: str) -> Iterator[ThreadsApi]:
    """An API client that reads the server as the test's user (not through the lab)."""
    transport = httpx.HTTPTransport(verify=False)  # loopback HTTP; no CA bundle to load
    with ThreadsApi(live.server.base_url, token, transport=transport) as api:
        yield api


@pytest.fixture
def client_factory(request: pytest.FixtureRequest) -> ClientFactory:
    """The factory named by --client."""
    return chosen_factory(request.config)


@pytest.fixture
def lab(
    live: Live, token: str, observer: ThreadsApi, client_factory: ClientFactory, tmp_path: Path
) -> Iterator[Lab]:
    """A client under test on a fresh store and user, with a recording transport."""
    transport = LabTransport()
    bench = Lab(
        base_url=live.server.base_url,
        token=token,
        store_path=tmp_path / "client-store.json",
        transport=transport,
        factory=client_factory,
        observer=observer,
    )
    try:
        yield bench
    finally:
        bench.close()
        transport.shutdown()
