"""The client's threads as the user changes them: local first, atomic, offline-safe.

Every user action (create, send, rename, delete, select, retry) is one atomic store
write that queues what the server must learn in the durable outbox, and never
touches the network. :class:`threadpact.client.sync.SyncEngine` adds the sending.
"""

import uuid
from collections.abc import Callable

from threadpact.client import swap
from threadpact.client.clock import Clock, SystemClock, millis
from threadpact.client.errors import PermanentError, error_class
from threadpact.client.outbox import OutboxEntry
from threadpact.client.store import Store, StoreState
from threadpact.models import LocalMessage, LocalThread, MessageCreate, ThreadCreate, ThreadUpdate
from threadpact.names import Role


def new_id() -> str:
    """A fresh client-made ID (a UUID4 string)."""
    return str(uuid.uuid4())


def never_applied(entry: OutboxEntry) -> bool:
    """Whether the server surely never applied ``entry``: never sent, or only ever refused."""
    if not entry.everSent:
        return True
    return (
        entry.state == "failed"
        and not entry.uncertain
        and entry.lastStatus is not None
        and issubclass(error_class(entry.lastStatus), PermanentError)
    )


class LocalThreads:
    """The threads in the local store, and the user's changes to them."""

    def __init__(
        self, store: Store, *, clock: Clock | None = None, ids: Callable[[], str] = new_id
    ) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self._ids = ids

    # -- reading ----------------------------------------------------------------

    def threads(self) -> list[LocalThread]:
        """Every local thread (copies), in the order they were made."""
        return self.store.snapshot().threads

    def thread(self, thread_id: str) -> LocalThread | None:
        """A thread by its ID or a former ID (an old link still works)."""
        return self.store.snapshot().thread(thread_id)

    def resolve(self, thread_id: str) -> str | None:
        """The current ID of the thread once called ``thread_id``; None if unknown."""
        found = self.thread(thread_id)
        return found.id if found else None

    def current_thread_id(self) -> str | None:
        """The thread the user has open."""
        return self.store.snapshot().currentThreadId

    def current_thread(self) -> LocalThread | None:
        """The thread the user has open, if any."""
        state = self.store.snapshot()
        return state.thread(state.currentThreadId) if state.currentThreadId else None

    def outbox(self) -> list[OutboxEntry]:
        """Queued and failed entries (copies), in queue order."""
        return self.store.snapshot().outbox

    # -- user actions (local, atomic, offline-safe) ------------------------------

    def _now_ms(self) -> int:
        return millis(self.clock)

    @staticmethod
    def _require(state: StoreState, thread_id: str) -> LocalThread:
        thread = state.thread(thread_id)
        if thread is None:
            raise KeyError(f"no local thread {thread_id!r}")
        return thread

    def create_thread(
        self,
        *,
        agent_id: str,
        model: str,
        provider: str,
        title: str = "New thread",
        artifact_id: str | None = None,
        select: bool = True,
    ) -> LocalThread:
        """Make a thread now with a temporary ID and queue its create (one atomic write).

        Raises ``ValueError`` (pydantic's ValidationError) for fields the server would refuse.
        """
        body = ThreadCreate(agent_id=agent_id, model=model, provider=provider, title=title)
        temporary, now = self._ids(), self._now_ms()
        thread = LocalThread(
            id=temporary,
            title=body.title,
            agentId=body.agent_id,
            model=body.model,
            provider=body.provider,
            messages=[],
            createdAt=now,
            updatedAt=now,
            artifactId=artifact_id,
            syncStatus="pending",
        )
        entry = OutboxEntry(
            id=self._ids(),
            kind="createThread",
            threadId=temporary,
            key=temporary,
            body=body.model_dump(mode="json"),
            queuedAt=now,
        )
        with self.store.transaction() as state:
            state.threads.append(thread)
            state.outbox.append(entry)
            if select:
                state.currentThreadId = temporary
        return thread.model_copy(deep=True)

    def send_message(self, thread_id: str, content: str, *, role: Role = "user") -> LocalMessage:
        """Add a message now and queue its create behind its thread's earlier changes."""
        body = MessageCreate(role=role, content=content)
        message_id, now = self._ids(), self._now_ms()
        message = LocalMessage(
            id=message_id, role=role, content=content, createdAt=now, syncStatus="pending"
        )
        with self.store.transaction() as state:
            thread = self._require(state, thread_id)
            thread.messages.append(message)
            thread.updatedAt = max(thread.updatedAt, now)
            state.outbox.append(
                OutboxEntry(
                    id=self._ids(),
                    kind="createMessage",
                    threadId=thread.id,
                    messageId=message_id,
                    key=message_id,
                    body=body.model_dump(mode="json"),
                    queuedAt=now,
                )
            )
        return message.model_copy()

    def rename_thread(self, thread_id: str, title: str) -> LocalThread:
        """Change a thread's title now; the server follows through the outbox."""
        body = ThreadUpdate(title=title)
        now = self._now_ms()
        with self.store.transaction() as state:
            thread = self._require(state, thread_id)
            thread.title = body.title
            thread.updatedAt = max(thread.updatedAt, now)
            chain = [e for e in state.outbox if e.threadId == thread.id]
            unsent_create = next(
                (e for e in chain if e.kind == "createThread" and not e.everSent), None
            )
            unsent_update = next(
                (e for e in chain if e.kind == "updateThread" and not e.everSent), None
            )
            if unsent_create is not None:
                # Never sent, so its key is bound to no body yet: change it in place.
                unsent_create.body["title"] = body.title
            elif unsent_update is not None and unsent_update is chain[-1]:
                unsent_update.body = body.model_dump(mode="json")
            else:
                state.outbox.append(
                    OutboxEntry(
                        id=self._ids(),
                        kind="updateThread",
                        threadId=thread.id,
                        body=body.model_dump(mode="json"),
                        queuedAt=now,
                    )
                )
            swap.refresh_status(state, thread)
            return thread.model_copy(deep=True)

    def delete_thread(self, thread_id: str) -> None:
        """Remove a thread now; delete it on the server if the server may have it."""
        now = self._now_ms()
        with self.store.transaction() as state:
            thread = self._require(state, thread_id)
            state.threads.remove(thread)
            if state.currentThreadId == thread.id:
                state.currentThreadId = None
            create = next(
                (e for e in state.outbox if e.threadId == thread.id and e.kind == "createThread"),
                None,
            )
            # Its other queued changes are moot now; only the create may matter.
            state.outbox = [e for e in state.outbox if e.threadId != thread.id or e is create]
            if create is None:
                pass  # synced: delete it there
            elif never_applied(create):
                state.outbox.remove(create)  # the server never made it: nothing to delete
                return
            elif create.state == "failed":
                # It may exist there: create it (same key) to learn its ID, then delete.
                create.state, create.attempts, create.notBefore = "queued", 0, 0.0
            state.outbox.append(
                OutboxEntry(id=self._ids(), kind="deleteThread", threadId=thread.id, queuedAt=now)
            )

    def select_thread(self, thread_id: str) -> str:
        """Open a thread (by any of its IDs); returns its current ID."""
        with self.store.transaction() as state:
            thread = self._require(state, thread_id)
            state.currentThreadId = thread.id
            return thread.id

    def retry_thread(self, thread_id: str) -> int:
        """Manual retry: re-queue the failed entries of a thread, with the same keys."""
        with self.store.transaction() as state:
            current = state.resolve(thread_id)
            count = swap.reset_failed(state, current)
            if count == 0 and state.thread(current) is None:
                raise KeyError(f"no local thread {thread_id!r}")
            return count
