"""The suite's fixtures: one live provider per backend, a fresh user per test, the lab.

Starting a provider costs a second or two, so the scenarios share one provider
process per backend for the whole session and give every test its own principal
(the provider is started with many tokens); no test sees another's threads.

The lab takes one of two paths, with the same faults and record: a Python factory
whose client sends through a :class:`LabTransport`, or (``--driver``) a driver
process per test whose client talks to a :class:`FaultProxy` in front of the provider.
"""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from threadpact.client.api import ThreadsApi
from threadpact.conformance.databases import (
    SQLITE,
    create_postgres_database,
    drop_postgres_database,
    sqlite_url,
)
from threadpact.conformance.driver import DriverProcess
from threadpact.conformance.faults import Faults
from threadpact.conformance.lab import Lab
from threadpact.conformance.openers import DRIVER, DriverOpener, FactoryOpener
from threadpact.conformance.options import (
    chosen_driver,
    chosen_factory,
    driver_timeout,
    postgres_url,
)
from threadpact.conformance.processes import Server, start_provider
from threadpact.conformance.proxy import FaultProxy
from threadpact.conformance.transports import LabTransport

USERS = 400
TOKENS = {f"client-user-{n}": f"client-test-token-{n}" for n in range(USERS)}
"""Principal to bearer token, for every user the live provider knows."""
_next_user = itertools.count()
KEY_RETENTION_SECONDS = 1.0
"""How long the live provider keeps a key once its resource is gone (short, so that a
scenario can retry a create past the window in real time)."""
PURGE_INTERVAL_SECONDS = 1.0
"""How often the reference provider purges expired keys with that retention."""
KEY_RETENTION_VARIABLE = "THREADPACT_KEY_RETENTION_SECONDS"


@dataclass(frozen=True)
class Live:
    """A running provider and its database URL."""

    server: Server
    database_url: str
    backend: str


def start_live(database_url: str, log: Path, port: int | None = None) -> Server:
    """Start a provider that knows every test user's token, with a short key retention."""
    env = {KEY_RETENTION_VARIABLE: f"{KEY_RETENTION_SECONDS:g}"}
    return start_provider(database_url, log, tokens=TOKENS, port=port, env=env)


@pytest.fixture(scope="session")
def live(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """One provider per backend for the whole session (the backends: see the plugin)."""
    backend = str(getattr(request, "param", SQLITE))
    folder = tmp_path_factory.mktemp(f"live-{backend}")
    admin_url = postgres_url(request.config)
    if backend == SQLITE:
        url = sqlite_url(folder / "threads.db")
    else:
        assert admin_url is not None, "PostgreSQL runs only when given --postgres-url"
        url = create_postgres_database(admin_url, hint="; check --postgres-url")
    server = start_live(url, folder / "provider.log")
    try:
        yield Live(server, url, backend)
    finally:
        server.stop()
        if backend != SQLITE and admin_url is not None:
            drop_postgres_database(url, admin_url)


@pytest.fixture
def token() -> str:
    """A principal's bearer token no other test uses."""
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


def driver_opener(
    request: pytest.FixtureRequest,
    command: str,
    proxy: FaultProxy,
    store_path: Path,
    log: Path,
    *,
    main: bool = True,
) -> DriverOpener:
    """Opens clients in a driver process (started on the first open) behind ``proxy``.

    The ``main`` one's stderr is shown when the test fails; an extra tab's is in its log.
    """

    def start() -> DriverProcess:
        return DriverProcess(
            command,
            cwd=request.config.invocation_params.dir,
            log=log,
            timeout=driver_timeout(request.config),
        )

    def raise_background() -> None:
        if proxy.errors:
            raise proxy.errors.pop(0)

    opener = DriverOpener(start, proxy.base_url, store_path, raise_background)
    if main:
        request.node.stash[DRIVER] = opener
    return opener


@pytest.fixture
def lab(
    request: pytest.FixtureRequest,
    live: Live,
    token: str,
    observer: ThreadsApi,
    tmp_path: Path,
) -> Iterator[Lab]:
    """A client under test on a fresh store and user, behind the lab's faults."""
    store_path = tmp_path / "client-store.json"
    command = chosen_driver(request.config)
    network: Faults
    new_opener: Callable[[], FactoryOpener | DriverOpener]
    if command is None:
        transport = LabTransport()
        factory = chosen_factory(request.config)
        network = transport

        def new_opener() -> FactoryOpener:
            return FactoryOpener(factory, live.server.base_url, store_path, transport)

        opener: FactoryOpener | DriverOpener = new_opener()
    else:
        proxy = FaultProxy(live.server.base_url)
        network = proxy
        opener = driver_opener(request, command, proxy, store_path, tmp_path / "driver-stderr.log")
        tab_logs = itertools.count(2)

        def new_opener() -> DriverOpener:
            log = tmp_path / f"driver-stderr-tab{next(tab_logs)}.log"
            return driver_opener(request, command, proxy, store_path, log, main=False)

    bench = Lab(
        token=token,
        store_path=store_path,
        transport=network,
        opener=opener,
        observer=observer,
        new_opener=new_opener,
    )
    try:
        yield bench
    finally:
        try:
            for tab in [opener, *bench.tabs]:
                tab.stop()
        finally:
            network.shutdown()
