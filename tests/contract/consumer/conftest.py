"""Consumer contract tests: the real client against pact's mock server.

Each test declares its interactions on a fresh Pact, drives the reference client
(the sync engine with a real store file) against the mock, asserts what the client
then holds, and merges its interactions into the pact file. The file goes to
THREADPACT_PACT_DIR when set (``make pacts`` sets it to contracts/), otherwise to a
scratch folder; ``threadpact gate`` compares it with the committed contracts/.
"""

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pact import Pact

from tests.contract.consumer.interactions import TOKEN
from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import VirtualClock
from threadpact.client.store import Store
from threadpact.client.sync import SyncEngine
from threadpact.names import CONSUMER, PROVIDER

os.environ.setdefault("PACT_DO_NOT_TRACK", "true")


@pytest.fixture(scope="session")
def pact_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the pact is written; emptied of this pact once per session."""
    configured = os.environ.get("THREADPACT_PACT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("pacts")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{CONSUMER}-{PROVIDER}.json").unlink(missing_ok=True)
    return folder


@pytest.fixture
def pact(pact_dir: Path) -> Iterator[Pact]:
    """A fresh Pact for one test, merged into the pact file afterwards."""
    contract = Pact(CONSUMER, PROVIDER).with_specification("V4")
    yield contract
    contract.write_file(pact_dir, overwrite=False)


EngineFactory = Callable[..., SyncEngine]


@pytest.fixture
def engine_for(tmp_path: Path) -> Iterator[EngineFactory]:
    """Build the reference client for a mock server URL, on a store file in tmp_path.

    Temporary IDs are predictable (``temp-1``, ``temp-2``...) and backoff sleeps
    on a virtual clock, so retries cost no time.
    """
    counter = itertools.count(1)
    opened: list[ThreadsApi] = []

    def build(base_url: str, token: str = TOKEN) -> SyncEngine:
        api = ThreadsApi(base_url, token)
        opened.append(api)
        return SyncEngine(
            Store(tmp_path / "client-store.json"),
            api,
            policy=RetryPolicy(base=0.01, cap=0.01, max_attempts=3),
            clock=VirtualClock(),
            ids=lambda: f"temp-{next(counter)}",
        )

    yield build
    for api in opened:
        api.close()
