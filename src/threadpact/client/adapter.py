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

``sync()`` must return once the outbox is empty, or every change left waits for a
person (it failed for good) or for the network (it was tried its per-sync number of
times), and must not really sleep through its backoff (use a fake clock that
:meth:`ClientUnderTest.advance` moves): the suite calls it with the network down, so
a client that waits in real time makes the suite slow, and one that never returns
makes it hang. Being offline never fails anything: only a permanent answer does.
"""

import importlib
import random
from pathlib import Path
from typing import Any, Protocol, cast

import httpx

from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import VirtualClock
from threadpact.client.legacy import migrate_legacy
from threadpact.client.store import Store
from threadpact.client.sync import SyncEngine
from threadpact.models import LocalThread
from threadpact.names import Role

DEFAULT_CLIENT = "threadpact.client.adapter:reference_client"


class ClientUnderTest(Protocol):
    """What the conformance suite needs from a client.

    Two instances built on one ``store_path`` at the same time are two tabs of one
    browser sharing its localStorage: both must work, and neither may lose the
    other's writes.
    """

    def create_thread(self, *, title: str, agent_id: str, model: str, provider: str) -> str:
        """Create a thread the way the UI does (optimistically); return its local ID."""
        ...

    def send_message(self, thread_id: str, *, role: Role, content: str) -> str:
        """Add a message to a thread (by any ID it had); return the message's local ID."""
        ...

    def rename_thread(self, thread_id: str, title: str) -> None:
        """Change a thread's title (by any ID it had), optimistically."""
        ...

    def delete_thread(self, thread_id: str) -> None:
        """Delete a thread (by any ID it had), optimistically."""
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
        """Try each change that is due once now; never before a server's Retry-After."""
        ...

    def sync(self) -> None:
        """Retry with backoff until the outbox is empty, or waits for a person or the network."""
        ...

    def online(self) -> None:
        """The network is back (the browser's ``online`` event): send everything pending now."""
        ...

    def advance(self, seconds: float) -> None:
        """Let ``seconds`` pass on the client's clock, without really waiting."""
        ...

    def pull(self) -> None:
        """Bring in what changed on the server elsewhere: new threads and messages,
        renames and deletes."""
        ...

    def import_legacy(self, dump: dict[str, Any]) -> None:
        """Migrate the old client's localStorage dump into the store, to sync from there."""
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

    def __init__(self, engine: SyncEngine, clock: VirtualClock) -> None:
        self.engine = engine
        self.clock = clock

    def create_thread(self, *, title: str, agent_id: str, model: str, provider: str) -> str:
        """Create optimistically; the temporary ID comes back."""
        thread = self.engine.create_thread(
            title=title, agent_id=agent_id, model=model, provider=provider
        )
        return thread.id

    def send_message(self, thread_id: str, *, role: Role, content: str) -> str:
        """Queue a message."""
        return self.engine.send_message(thread_id, content, role=role).id

    def rename_thread(self, thread_id: str, title: str) -> None:
        """Rename locally; the rename is queued."""
        self.engine.rename_thread(thread_id, title)

    def delete_thread(self, thread_id: str) -> None:
        """Delete locally; the delete is queued if the server may have the thread."""
        self.engine.delete_thread(thread_id)

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

    def online(self) -> None:
        """Back online: every pending change is due now and sent."""
        self.engine.online()

    def advance(self, seconds: float) -> None:
        """Move the virtual clock on."""
        self.clock.advance(seconds)

    def pull(self) -> None:
        """Bring in the server's changes."""
        self.engine.pull()

    def import_legacy(self, dump: dict[str, Any]) -> None:
        """Migrate a legacy dump (threads the old client made are adopted at sync)."""
        migrate_legacy(dump, self.engine.store, clock=self.clock)

    def retry(self, thread_id: str) -> None:
        """Re-queue a failed thread."""
        self.engine.retry_thread(thread_id)

    def close(self) -> None:
        """Close the HTTP client and the store."""
        self.engine.close()


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
    clock = VirtualClock()
    engine = SyncEngine(
        Store(store_path),
        api,
        policy=policy or RetryPolicy(base=0.5, cap=30.0, max_attempts=5),
        clock=clock,
        random=random.Random(seed).random,
    )
    return ReferenceClient(engine, clock)


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
