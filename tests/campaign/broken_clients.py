"""A client with one bug the fault campaign must find: it writes its store after sending.

:func:`store_after_send` keeps a new thread in memory, posts it, and only then saves
it (already under the server's ID). Reloads and lost answers do not hurt it: a
graceful close saves what is still in memory, and a retry sends the same key. A
process killed between the send and the write loses the thread the user made, and
leaves the server's copy an orphan.
"""

import random
import uuid
from pathlib import Path

import httpx

from threadpact.client import mapping, swap
from threadpact.client.adapter import ReferenceClient
from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import VirtualClock
from threadpact.client.errors import ApiError
from threadpact.client.outbox import OutboxEntry
from threadpact.client.store import Store
from threadpact.client.sync import SyncEngine
from threadpact.models import LocalThread, ThreadCreate


class StoreAfterSend(ReferenceClient):
    """The reference client, except that a new thread is saved only once it was sent."""

    def __init__(self, engine: SyncEngine, clock: VirtualClock) -> None:
        super().__init__(engine, clock)
        self.unsaved: dict[str, LocalThread] = {}

    def create_thread(self, *, title: str, agent_id: str, model: str, provider: str) -> str:
        """Only in memory until it was sent."""
        temporary = str(uuid.uuid4())
        now = int(self.clock.now() * 1000)
        self.unsaved[temporary] = LocalThread(
            id=temporary,
            title=title,
            agentId=agent_id,
            model=model,
            provider=provider,
            messages=[],
            createdAt=now,
            updatedAt=now,
            syncStatus="pending",
        )
        return temporary

    def threads(self) -> list[LocalThread]:
        """The saved threads, then the unsaved ones."""
        return [*super().threads(), *(t.model_copy() for t in self.unsaved.values())]

    def send_unsaved(self) -> None:
        """Post each unsaved thread, then save it under the server's ID."""
        for temporary, thread in list(self.unsaved.items()):
            try:
                created = self.engine.api.create_thread(
                    mapping.thread_create(thread), idempotency_key=temporary
                )
            except ApiError:
                continue
            with self.engine.store.transaction() as state:
                saved = mapping.adopt_server_thread(thread, created.value)
                state.threads.append(saved)
                state.aliases[temporary] = str(created.value.id)
                swap.refresh_status(state, saved)
                swap.remember_etag(state, str(created.value.id), created.etag)
            del self.unsaved[temporary]

    def sync_once(self) -> None:
        """Unsaved threads first."""
        self.send_unsaved()
        super().sync_once()

    def sync(self) -> None:
        """Unsaved threads first."""
        self.send_unsaved()
        super().sync()

    def online(self) -> None:
        """Unsaved threads first."""
        self.send_unsaved()
        super().online()

    def close(self) -> None:
        """A graceful close saves the unsaved threads as pending creates (same keys)."""
        with self.engine.store.transaction() as state:
            for temporary, thread in self.unsaved.items():
                state.threads.append(thread)
                body = ThreadCreate(
                    agent_id=thread.agentId,
                    model=thread.model,
                    provider=thread.provider,
                    title=thread.title,
                )
                state.outbox.append(
                    OutboxEntry(
                        id=str(uuid.uuid4()),
                        kind="createThread",
                        threadId=temporary,
                        key=temporary,
                        body=body.model_dump(mode="json"),
                        everSent=True,
                    )
                )
        self.unsaved.clear()
        super().close()


def store_after_send(
    *, base_url: str, token: str, store_path: Path, transport: httpx.BaseTransport
) -> StoreAfterSend:
    """The broken client, built like the reference one."""
    clock = VirtualClock()
    engine = SyncEngine(
        Store(store_path),
        ThreadsApi(base_url, token, transport=transport),
        policy=RetryPolicy(base=0.5, cap=30.0, max_attempts=5),
        clock=clock,
        random=random.Random(0).random,
    )
    return StoreAfterSend(engine, clock)
