"""Deliberately broken clients: the conformance suite must catch each one.

- :func:`ignores_response`: the original bug. It creates the thread on the server
  but throws the answer away, keeping its temporary ID for good.
- :func:`new_key_per_retry`: retries a create with a fresh Idempotency-Key each
  time, so a lost answer turns into a second server thread.
- :func:`fails_on_conflict`: takes a 409 (a request with the same key is still in
  flight) for a failure no retry can fix.

Each is the reference client with one thing broken, built with the factory
signature of threadpact.client.adapter.
"""

import random
import uuid
from pathlib import Path

import httpx

from threadpact.client import swap
from threadpact.client.adapter import ReferenceClient, reference_client
from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import VirtualClock
from threadpact.client.outbox import OutboxEntry
from threadpact.client.store import Store, StoreState
from threadpact.client.sync import SyncEngine
from threadpact.models import ServerThread
from threadpact.names import IDEMPOTENCY_KEY


class IgnoresResponseEngine(SyncEngine):
    """Marks the thread synced but never adopts the server's ID."""

    def _adopt_created_thread(
        self, state: StoreState, entry: OutboxEntry, server: ServerThread
    ) -> None:
        del server  # the bug: the answer is thrown away
        swap.remove_entry(state, entry.id)
        thread = state.thread(entry.threadId)
        if thread is not None:
            swap.refresh_status(state, thread)


def ignores_response(
    *, base_url: str, token: str, store_path: Path, transport: httpx.BaseTransport
) -> ReferenceClient:
    """The reference client with the original bug: the create's answer is ignored."""
    engine = IgnoresResponseEngine(
        Store(store_path),
        ThreadsApi(base_url, token, transport=transport),
        policy=RetryPolicy(max_attempts=5),
        clock=VirtualClock(),
        random=random.Random(0).random,
    )
    return ReferenceClient(engine)


class RekeyingTransport(httpx.BaseTransport):
    """Gives every repeated Idempotency-Key a fresh value before sending it on."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.seen: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get(IDEMPOTENCY_KEY)
        if key is not None:
            if key in self.seen:
                request.headers[IDEMPOTENCY_KEY] = str(uuid.uuid4())
            self.seen.add(key)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def new_key_per_retry(
    *, base_url: str, token: str, store_path: Path, transport: httpx.BaseTransport
) -> ReferenceClient:
    """The reference client, except that each retry sends a new Idempotency-Key."""
    return reference_client(
        base_url=base_url,
        token=token,
        store_path=store_path,
        transport=RekeyingTransport(transport),
    )


class ConflictIsFinalTransport(httpx.BaseTransport):
    """Shows the client a 409 as a 400: the client then fails the thread for good."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if response.status_code != 409:
            return response
        response.read()
        return httpx.Response(400, headers=response.headers, content=response.content)

    def close(self) -> None:
        self.inner.close()


def fails_on_conflict(
    *, base_url: str, token: str, store_path: Path, transport: httpx.BaseTransport
) -> ReferenceClient:
    """The reference client, except that a 409 (same key in flight) fails the thread."""
    return reference_client(
        base_url=base_url,
        token=token,
        store_path=store_path,
        transport=ConflictIsFinalTransport(transport),
    )
