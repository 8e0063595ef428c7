"""The sync engine: the local threads (:mod:`threadpact.client.local`), sent through the outbox.

The user's actions are local and never touch the network, so the user can go on
chatting offline. :meth:`SyncEngine.sync_once` and :meth:`SyncEngine.drain` send
what the outbox holds, each entry with the Idempotency-Key fixed when it was queued:

- success: the swap (see :mod:`threadpact.client.swap`), or the message's new ID;
- :class:`RetryableError` (no answer, 5xx, 409, 429): stay ``pending`` and retry
  after a backoff with jitter, never sooner than a ``Retry-After``. Never
  ``failed``, however long it lasts: :meth:`SyncEngine.drain` tries an entry
  ``policy.max_attempts`` times per run, then leaves it for the next run or for
  :meth:`SyncEngine.online`, which makes everything due at once;
- :class:`PermanentError` (400, 401, 422, ...): ``failed`` with the reason at once;
- 412 on a rename: the server wins (the thread takes the server's title).

A rename carries ``If-Match`` with the last ``ETag`` the store holds for the thread.
A legacy create (``adopt``) first looks for the thread the old client made
(:func:`threadpact.client.pull.find_twin`) and adopts it instead of creating a copy.

Nothing is deleted locally on failure; :meth:`SyncEngine.retry_thread` re-queues a
failed thread with the same keys. No store lock is held while a request is in
flight, so a message sent meanwhile is queued behind the create and follows the
swap. Only one instance (tab) on a store sends at a time (:meth:`Store.sync_lock`);
another's sync leaves the outbox to it.
"""

import random as _random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from threadpact.client import pull, swap
from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import Clock
from threadpact.client.errors import (
    ApiError,
    NotFound,
    PermanentError,
    PreconditionFailed,
    RetryableError,
)
from threadpact.client.local import LocalThreads, new_id
from threadpact.client.outbox import OutboxEntry, due, next_deadline
from threadpact.client.store import Store, StoreState
from threadpact.models import Message, MessageCreate, ServerThread, ThreadCreate, ThreadUpdate

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
    """What :meth:`SyncEngine.pull` changed locally."""

    threads: int = 0
    """Server threads added."""
    messages: int = 0
    """Server messages added."""
    renamed: int = 0
    """Threads that took a title changed elsewhere."""
    removed: int = 0
    """Threads deleted elsewhere, and now here."""


@dataclass(frozen=True)
class Answer:
    """What the server sent back for one entry."""

    resource: BaseModel | None
    etag: str | None = None


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
        self._sending = 0
        self._in_flight: set[str] = set()

    def close(self) -> None:
        """Close the HTTP client and release the store's lock files."""
        self.api.close()
        self.store.close()

    # -- talking to the server ----------------------------------------------------

    @contextmanager
    def _sender(self) -> Iterator[bool]:
        """Become the store's one sender for a while (True), or learn another tab is (False)."""
        with self._sync_lock:
            if self._sending:
                yield True
                return
            with self.store.sync_lock() as granted:
                self._sending = 1 if granted else 0
                try:
                    yield granted
                finally:
                    self._sending = 0

    def sync_once(self) -> SyncReport:
        """Send every entry that is due now, once each, without waiting for backoff.

        Does nothing while another instance on the store is sending.
        """
        with self._sender() as granted:
            if not granted:
                return SyncReport(remaining=len(self.store.snapshot().outbox))
            report, _ = self._pass(frozenset())
            return report

    def _pass(self, resting: frozenset[str]) -> tuple[SyncReport, set[str]]:
        """One try of each due entry not ``resting``; the report and the entries to retry."""
        tally = {"sent": 0, "retry": 0, "failed": 0, "skipped": 0}
        tried: set[str] = set()
        retried: set[str] = set()
        while True:
            state = self.store.snapshot()
            ready = [
                e
                for e in due(state.outbox, self.clock.now())
                if e.id not in tried
                and e.id not in resting
                and e.id not in self._in_flight
                and self._may_send(e)
            ]
            if not ready:
                break
            tried.add(ready[0].id)
            outcome = self._attempt(ready[0].id)
            tally[outcome] += 1
            if outcome == "retry":
                retried.add(ready[0].id)
        report = SyncReport(
            tally["sent"], tally["retry"], tally["failed"], len(self.store.snapshot().outbox)
        )
        return report, retried

    def _may_send(self, entry: OutboxEntry) -> bool:
        """Whether this instance sends ``entry`` (every instance sends every entry)."""
        del entry
        return True

    def drain(self, *, max_wait: float | None = None) -> SyncReport:
        """Sync, sleeping through backoffs, until nothing more can be sent in this run.

        The run ends when the outbox is empty, or every entry left is failed (it
        waits for a person), queued behind a failed one, or failed
        ``policy.max_attempts`` times in this run for want of an answer or with a
        transient one (it waits for the network: the next run, or :meth:`online`).
        ``max_wait`` bounds the total time slept. Does nothing while another
        instance on the store is sending.
        """
        with self._sender() as granted:
            if not granted:
                return SyncReport(remaining=len(self.store.snapshot().outbox))
            report = SyncReport()
            slept = 0.0
            failures: Counter[str] = Counter()
            resting: frozenset[str] = frozenset()
            while True:
                step, retried = self._pass(resting)
                report = report + step
                failures.update(retried)
                resting = frozenset(
                    e for e, count in failures.items() if count >= self.policy.max_attempts
                )
                outbox = self.store.snapshot().outbox
                unsendable = {e.id for e in outbox if not self._may_send(e)}
                deadline = next_deadline(outbox, resting | unsendable)
                if deadline is None:
                    return report
                wait = max(deadline - self.clock.now(), 0.0)
                if max_wait is not None and slept + wait > max_wait:
                    return report
                self.clock.sleep(wait)
                slept += wait

    def online(self) -> SyncReport:
        """The network is back: every queued entry is due now (a server's ``Retry-After``
        still holds) and is sent, with its own key, before this returns."""
        with self.store.transaction() as state:
            now = self.clock.now()
            for entry in state.outbox:
                if entry.state == "queued":
                    entry.attempts = 0
                    entry.notBefore = entry.retryAfterUntil if entry.retryAfterUntil > now else 0.0
        return self.sync_once()

    def _attempt(self, entry_id: str) -> Outcome:
        """Send one entry and record the outcome."""
        with self.store.transaction() as state:
            entry = state.entry(entry_id)
            if entry is None or entry.state != "queued":
                return "skipped"
            entry.attempts += 1  # counted before sending: a crash cannot forget it
            entry.everSent = True
            work = entry.model_copy(deep=True)
            if_match = state.etags.get(work.threadId)
        self._in_flight.add(entry_id)
        try:
            answer = self._send(work, if_match)
        except RetryableError as exc:
            return self._record_retryable(entry_id, exc)
        except PreconditionFailed as exc:
            if work.kind != "updateThread":
                return self._record_permanent(entry_id, str(exc), exc.status)
            return self._server_wins(entry_id, work)
        except NotFound as exc:
            if work.kind != "deleteThread":
                return self._record_permanent(entry_id, str(exc), exc.status)
            answer = Answer(None)  # already gone: that is what we wanted
        except PermanentError as exc:
            return self._record_permanent(entry_id, str(exc), exc.status)
        except ValueError as exc:  # a body or key this client cannot send
            return self._record_permanent(entry_id, f"{work.kind}: cannot send: {exc}", None)
        finally:
            self._in_flight.discard(entry_id)
        with self.store.transaction() as state:
            entry = state.entry(entry_id)
            if entry is None:
                return "skipped"
            self._apply(state, entry, answer)
        return "sent"

    def _send(self, entry: OutboxEntry, if_match: str | None) -> Answer:
        """The request an entry stands for; the server's resource and ETag, if any."""
        if entry.kind == "createThread":
            if entry.adopt:
                twin = self._legacy_twin(entry)
                if twin is not None:
                    return Answer(twin)
            created = self.api.create_thread(
                ThreadCreate.model_validate(entry.body), idempotency_key=str(entry.key)
            )
            return Answer(created.value, created.etag)
        if entry.kind == "createMessage":
            message = self.api.create_message(
                entry.threadId,
                MessageCreate.model_validate(entry.body),
                idempotency_key=str(entry.key),
            )
            return Answer(message.value)
        if entry.kind == "updateThread":
            updated = self.api.update_thread(
                entry.threadId, ThreadUpdate.model_validate(entry.body), if_match=if_match
            )
            return Answer(updated.thread, updated.etag)
        self.api.delete_thread(entry.threadId)
        return Answer(None)

    def _legacy_twin(self, entry: OutboxEntry) -> ServerThread | None:
        """The server thread the old client already made for a migrated thread, if any."""
        state = self.store.snapshot()
        local = state.thread(entry.threadId)
        return None if local is None else pull.find_twin(self.api, state, entry, local)

    def _apply(self, state: StoreState, entry: OutboxEntry, answer: Answer) -> None:
        """Record a success."""
        if isinstance(answer.resource, ServerThread) and entry.kind == "createThread":
            swap.remember_etag(state, entry.threadId, answer.etag)
            self._adopt_created_thread(state, entry, answer.resource)
        elif isinstance(answer.resource, Message):
            swap.apply_message_created(state, entry, answer.resource)
        elif entry.kind == "updateThread":
            swap.apply_thread_updated(state, entry, answer.etag)
        else:
            swap.remove_entry(state, entry.id)

    def _adopt_created_thread(
        self, state: StoreState, entry: OutboxEntry, server: ServerThread
    ) -> None:
        """The ID swap (a separate method so a test double can break it on purpose)."""
        swap.apply_thread_created(state, entry, server)

    def _server_wins(self, entry_id: str, work: OutboxEntry) -> Outcome:
        """A rename met a newer version (412): take the server's, drop the rename."""
        try:
            current = self.api.get_thread(work.threadId)
        except RetryableError as exc:
            return self._record_retryable(entry_id, exc)
        except PermanentError as exc:
            return self._record_permanent(entry_id, str(exc), exc.status)
        with self.store.transaction() as state:
            entry = state.entry(entry_id)
            if entry is None:
                return "skipped"
            swap.take_server_version(state, entry, current.thread, current.etag)
        return "sent"

    def _record_retryable(self, entry_id: str, error: ApiError) -> Outcome:
        with self.store.transaction() as state:
            entry = state.entry(entry_id)
            if entry is None:
                return "skipped"
            now = self.clock.now()
            entry.lastStatus = error.status
            entry.uncertain = True
            entry.lastError = str(error)
            wait = self.policy.delay(max(entry.attempts, 1), self._random(), error.retry_after)
            entry.notBefore = now + wait
            if error.retry_after is not None:
                entry.retryAfterUntil = now + error.retry_after
            return "retry"

    def _record_permanent(self, entry_id: str, reason: str, status: int | None) -> Outcome:
        with self.store.transaction() as state:
            entry = state.entry(entry_id)
            if entry is None:
                return "skipped"
            entry.lastStatus = status
            swap.mark_failed(state, entry, reason)
            return "failed"

    # -- bringing in what changed elsewhere ----------------------------------------

    def pull(self) -> PullReport:
        """Apply what the server holds that this store has not seen: threads and
        messages made elsewhere, renames and deletes (rules: :mod:`threadpact.client.pull`)."""
        synced_before = pull.synced_ids(self.store.snapshot())
        remote = pull.fetch(self.api)
        with self.store.transaction() as state:
            changes = pull.merge(state, remote, synced_before)
        return PullReport(
            changes.added_threads, changes.added_messages, changes.renamed, changes.removed
        )
