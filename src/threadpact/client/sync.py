"""The sync engine: optimistic local changes, a durable outbox, and the ID swap.

Every user action (create, send, rename, delete, select, retry) is one atomic
store write and never touches the network, so the user can go on chatting
offline. :meth:`SyncEngine.sync_once` and :meth:`SyncEngine.drain` send what the
outbox holds, each entry with the Idempotency-Key fixed when it was queued:

- success: the swap (see :mod:`threadpact.client.swap`), or the message's new ID;
- :class:`RetryableError`: stay ``pending``, retry after a backoff with jitter;
  after the retry limit, ``failed`` with the reason;
- :class:`PermanentError` (400, 401, 422, ...): ``failed`` with the reason at once.

Nothing is deleted locally on failure; :meth:`SyncEngine.retry_thread` re-queues a
failed thread with the same keys. No lock is held while a request is in flight,
so a message sent meanwhile is queued behind the create and follows the swap.
"""

import random as _random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from threadpact.client import mapping, swap
from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import Clock, SystemClock, millis
from threadpact.client.errors import (
    ApiError,
    NotFound,
    PermanentError,
    RetryableError,
    error_class,
)
from threadpact.client.outbox import OutboxEntry, due, next_deadline
from threadpact.client.store import Store, StoreState
from threadpact.models import (
    LocalMessage,
    LocalThread,
    Message,
    MessageCreate,
    ServerThread,
    ThreadCreate,
    ThreadUpdate,
)
from threadpact.names import Role

Outcome = Literal["sent", "retry", "failed", "skipped"]


def new_id() -> str:
    """A fresh client-made ID (a UUID4 string)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class SyncReport:
    """What a sync run did."""

    sent: int = 0
    """Entries the server confirmed."""
    retrying: int = 0
    """Failed attempts that will be retried."""
    failed: int = 0
    """Entries that failed for good in this run."""
    remaining: int = 0
    """Entries still in the outbox afterwards (waiting, blocked or failed)."""

    def __add__(self, other: "SyncReport") -> "SyncReport":
        return SyncReport(
            self.sent + other.sent,
            self.retrying + other.retrying,
            self.failed + other.failed,
            other.remaining,
        )


@dataclass(frozen=True)
class PullReport:
    """What :meth:`SyncEngine.pull` brought in."""

    threads: int = 0
    messages: int = 0
    skipped: bool = False
    """True when a create was unresolved and nothing was pulled."""


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


class SyncEngine:
    """The client's threads: local first, synced through the outbox."""

    def __init__(
        self,
        store: Store,
        api: ThreadsApi,
        *,
        policy: RetryPolicy | None = None,
        clock: Clock | None = None,
        random: Callable[[], float] = _random.random,
        ids: Callable[[], str] = new_id,
    ) -> None:
        self.store = store
        self.api = api
        self.policy = policy or RetryPolicy()
        self.clock: Clock = clock or SystemClock()
        self._random = random
        self._ids = ids
        self._sync_lock = threading.RLock()

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

    # -- talking to the server ----------------------------------------------------

    def sync_once(self) -> SyncReport:
        """Send every entry that is due now, once each, without waiting for backoff."""
        with self._sync_lock:
            tally = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
            tried: set[str] = set()
            while True:
                state = self.store.snapshot()
                ready = [e for e in due(state.outbox, self.clock.now()) if e.id not in tried]
                if not ready:
                    break
                tried.add(ready[0].id)
                tally[self._attempt(ready[0].id)] += 1
            return SyncReport(
                tally["sent"], tally["retry"], tally["failed"], len(self.store.snapshot().outbox)
            )

    def drain(self, *, max_wait: float | None = None) -> SyncReport:
        """Sync, sleeping through backoffs, until the outbox is empty or blocked.

        Blocked means every remaining entry is failed or queued behind a failed
        one. ``max_wait`` bounds the total time slept (None: until the retry
        limit decides).
        """
        with self._sync_lock:
            report = SyncReport()
            slept = 0.0
            while True:
                report = report + self.sync_once()
                deadline = next_deadline(self.store.snapshot().outbox)
                if deadline is None:
                    return report
                wait = max(deadline - self.clock.now(), 0.0)
                if max_wait is not None and slept + wait > max_wait:
                    return report
                self.clock.sleep(wait)
                slept += wait

    def _attempt(self, entry_id: str) -> Outcome:
        """Send one entry and record the outcome."""
        with self.store.transaction() as state:
            entry = state.entry(entry_id)
            if entry is None or entry.state != "queued":
                return "skipped"
            entry.attempts += 1  # counted before sending: a crash cannot forget it
            entry.everSent = True
            work = entry.model_copy(deep=True)
        try:
            answer = self._send(work)
        except RetryableError as exc:
            return self._record_retryable(entry_id, exc)
        except NotFound as exc:
            if work.kind == "deleteThread":
                answer = None  # already gone: that is what we wanted
            else:
                return self._record_permanent(entry_id, str(exc), exc.status)
        except PermanentError as exc:
            return self._record_permanent(entry_id, str(exc), exc.status)
        except ValueError as exc:  # a body or key this client cannot send
            return self._record_permanent(entry_id, f"{work.kind}: cannot send: {exc}", None)
        with self.store.transaction() as state:
            entry = state.entry(entry_id)
            if entry is None:
                return "skipped"
            self._apply(state, entry, answer)
        return "sent"

    def _send(self, entry: OutboxEntry) -> BaseModel | None:
        """The request an entry stands for; returns the server's resource, if any."""
        if entry.kind == "createThread":
            return self.api.create_thread(
                ThreadCreate.model_validate(entry.body), idempotency_key=str(entry.key)
            ).value
        if entry.kind == "createMessage":
            return self.api.create_message(
                entry.threadId,
                MessageCreate.model_validate(entry.body),
                idempotency_key=str(entry.key),
            ).value
        if entry.kind == "updateThread":
            return self.api.update_thread(
                entry.threadId, ThreadUpdate.model_validate(entry.body)
            ).thread
        self.api.delete_thread(entry.threadId)
        return None

    def _apply(self, state: StoreState, entry: OutboxEntry, answer: BaseModel | None) -> None:
        """Record a success."""
        if isinstance(answer, ServerThread) and entry.kind == "createThread":
            self._adopt_created_thread(state, entry, answer)
        elif isinstance(answer, Message):
            swap.apply_message_created(state, entry, answer)
        elif entry.kind == "updateThread":
            swap.apply_thread_updated(state, entry)
        else:
            swap.remove_entry(state, entry.id)

    def _adopt_created_thread(
        self, state: StoreState, entry: OutboxEntry, server: ServerThread
    ) -> None:
        """The ID swap (a separate method so a test double can break it on purpose)."""
        swap.apply_thread_created(state, entry, server)

    def _record_retryable(self, entry_id: str, error: ApiError) -> Outcome:
        with self.store.transaction() as state:
            entry = state.entry(entry_id)
            if entry is None:
                return "skipped"
            entry.lastStatus = error.status
            entry.uncertain = True
            if self.policy.gives_up(entry.attempts):
                reason = f"gave up after {entry.attempts} attempts; last: {error}"
                swap.mark_failed(state, entry, reason)
                return "failed"
            attempt = max(entry.attempts, 1)
            wait = self.policy.delay(attempt, self._random(), error.retry_after)
            entry.notBefore = self.clock.now() + wait
            entry.lastError = str(error)
            return "retry"

    def _record_permanent(self, entry_id: str, reason: str, status: int | None) -> Outcome:
        with self.store.transaction() as state:
            entry = state.entry(entry_id)
            if entry is None:
                return "skipped"
            entry.lastStatus = status
            swap.mark_failed(state, entry, reason)
            return "failed"

    # -- bringing in what other devices made --------------------------------------

    def pull(self) -> PullReport:
        """Add server threads and messages this store has never seen (another device).

        Skipped while any create is unresolved: a thread whose create answer was
        lost is on the server under an ID this store does not know yet, and
        pulling it now would show it twice.
        """
        if any(e.kind in ("createThread", "createMessage") for e in self.outbox()):
            return PullReport(skipped=True)
        server_threads = list(self.api.iter_threads())
        fetched = {str(t.id): list(self.api.iter_messages(t.id)) for t in server_threads}
        added_threads = added_messages = 0
        with self.store.transaction() as state:
            if any(e.kind in ("createThread", "createMessage") for e in state.outbox):
                return PullReport(skipped=True)
            for server in reversed(server_threads):  # oldest first, like local order
                local = state.thread(str(server.id))
                messages = fetched[str(server.id)]
                if local is None:
                    state.threads.append(
                        mapping.local_thread(
                            server, messages=[mapping.local_message(m) for m in messages]
                        )
                    )
                    added_threads += 1
                    added_messages += len(messages)
                    continue
                known = {m.id for m in local.messages}
                for message in messages:
                    if str(message.id) not in known:
                        local.messages.append(mapping.local_message(message))
                        added_messages += 1
        return PullReport(added_threads, added_messages)
