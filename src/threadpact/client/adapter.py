"""How the conformance suite drives a Python client: a small protocol any client can adapt to.

(A client in another language is driven as a process instead, through the
JSON-lines protocol of docs/driver-protocol.md: ``threadpact check-client --driver CMD``.)

A client under test is built by a *factory*, named on the command line as
``module:attribute`` (``threadpact check-client mypkg.adapters:make_client``; the
suite is :mod:`threadpact.conformance`). The factory is called with keyword arguments::

    factory(base_url=..., token=..., store_path=..., transport=...) -> ClientUnderTest

- ``base_url``: the provider to talk to; ``token``: the bearer token to send.
- ``store_path``: the file the client keeps its local state in. Calling the factory
  again with the same path is a page reload: the new client must see what the old
  one committed (the suite closes the old one first).
- ``transport``: an ``httpx.BaseTransport`` the client must send every request
  through. The suite records requests there and injects faults (offline, lost
  responses); a client that bypasses it cannot be checked.

``sync()`` must return once the outbox is empty or blocked by failures that need
a person, and must not really sleep through its backoff (use a fake clock): the
suite calls it with the network down, so a client that waits in real time makes
the suite slow, and one that never gives up makes it hang.
"""

import importlib
import random
from pathlib import Path
from typing import Protocol, cast

import httpx

from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import VirtualClock
from threadpact.client.store import Store
from threadpact.client.sync import SyncEngine
from threadpact.models import LocalThread
from threadpact.names import Role

DEFAULT_CLIENT = "threadpact.client.adapter:reference_client"


class ClientUnderTest(Protocol):
    """What the conformance suite needs from a client."""

    def create_thread(self, *, title: str, agent_id: str, model: str, provider: str) -> str:
        """Create a thread the way the UI does (optimistically); return its local ID."""
        ...

    def send_message(self, thread_id: str, *, role: Role, content: str) -> str:
        """Add a message to a thread (by any ID it had); return the message's local ID."""
        ...

    def select_thread(self, thread_id: str) -> None:
        """Make a thread the current one."""
        ...

    def current_thread_id(self) -> str | None:
        """The current-thread pointer."""
        ...

    def threads(self) -> list[LocalThread]:
        """Every local thread, in the contract's ``LocalThread`` shape."""
        ...

    def sync_once(self) -> None:
        """Try each queued change once now, without waiting for backoff timers."""
        ...

    def sync(self) -> None:
        """Retry with backoff until the outbox is empty or blocked (see module notes)."""
        ...

    def retry(self, thread_id: str) -> None:
        """The user's "retry" on a failed thread."""
        ...

    def close(self) -> None:
        """Release files and connections."""
        ...


class ClientFactory(Protocol):
    """Builds a :class:`ClientUnderTest`."""

    def __call__(
        self, *, base_url: str, token: str, store_path: Path, transport: httpx.BaseTransport
    ) -> ClientUnderTest:
        """A client on ``store_path`` that talks to ``base_url`` through ``transport``."""
        ...


class ReferenceClient:
    """The reference client (:class:`SyncEngine`) behind the adapter protocol."""

    def __init__(self, engine: SyncEngine) -> None:
        self.engine = engine

    def create_thread(self, *, title: str, agent_id: str, model: str, provider: str) -> str:
        """Create optimistically; the temporary ID comes back."""
        thread = self.engine.create_thread(
            title=title, agent_id=agent_id, model=model, provider=provider
        )
        return thread.id

    def send_message(self, thread_id: str, *, role: Role, content: str) -> str:
        """Queue a message."""
        return self.engine.send_message(thread_id, content, role=role).id

    def select_thread(self, thread_id: str) -> None:
        """Move the current-thread pointer."""
        self.engine.select_thread(thread_id)

    def current_thread_id(self) -> str | None:
        """The current-thread pointer."""
        return self.engine.current_thread_id()

    def threads(self) -> list[LocalThread]:
        """The local threads."""
        return self.engine.threads()

    def sync_once(self) -> None:
        """One pass over what is due."""
        self.engine.sync_once()

    def sync(self) -> None:
        """Drain the outbox (on a virtual clock, so backoff costs no real time)."""
        self.engine.drain()

    def retry(self, thread_id: str) -> None:
        """Re-queue a failed thread."""
        self.engine.retry_thread(thread_id)

    def close(self) -> None:
        """Close the HTTP client."""
        self.engine.api.close()


def reference_client(
    *,
    base_url: str,
    token: str,
    store_path: Path,
    transport: httpx.BaseTransport,
    policy: RetryPolicy | None = None,
    seed: int = 0,
) -> ReferenceClient:
    """The default factory: the reference client on a virtual clock."""
    api = ThreadsApi(base_url, token, transport=transport, timeout=10.0)
    engine = SyncEngine(
        Store(store_path),
        api,
        policy=policy or RetryPolicy(base=0.5, cap=30.0, max_attempts=5),
        clock=VirtualClock(),
        random=random.Random(seed).random,
    )
    return ReferenceClient(engine)


def load_factory(spec: str) -> ClientFactory:
    """Import ``module:attribute`` and return it as a client factory."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise ValueError(f"expected module:factory, got {spec!r}")
    module = importlib.import_module(module_name)
    try:
        factory = getattr(module, attribute)
    except AttributeError:
        raise ValueError(f"{module_name} has no attribute {attribute!r}") from None
    if not callable(factory):
        raise ValueError(f"{spec} is not callable")
    return cast(ClientFactory, factory)
