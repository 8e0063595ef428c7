"""The sync engine: the local threads (:mod:`threadpact.client.local`), sent through the outbox.

The user's actions are local and never touch the network, so the user can go on
chatting offline. :meth:`SyncEngine.sync_once` and :meth:`SyncEngine.drain` send
what the outbox holds, each entry with the Idempotency-Key fixed when it was queued:

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
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from threadpact.client import mapping, swap
from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import Clock
from threadpact.client.errors import (
    ApiError,
    NotFound,
    PermanentError,
    RetryableError,
)
from threadpact.client.local import LocalThreads, new_id
from threadpact.client.outbox import OutboxEntry, due, next_deadline
from threadpact.client.store import Store, StoreState
from threadpact.models import (
    Message,
    MessageCreate,
    ServerThread,
    ThreadCreate,
    ThreadUpdate,
)

Outcome = Literal["sent", "retry", "failed", "skipped"]


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


class SyncEngine(LocalThreads):
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
        super().__init__(store, clock=clock, ids=ids)
        self.api = api
        self.policy = policy or RetryPolicy()
        self._random = random
        self._sync_lock = threading.RLock()

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
