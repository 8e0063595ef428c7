"""Deliberately broken clients: the conformance suite must catch each one, naming the rule.

Each is the reference client with one thing broken, built with the factory
signature of threadpact.client.adapter (the rule it breaks in brackets):

- :func:`ignores_response` [swap]: the original bug. It creates the thread on the
  server but throws the answer away, keeping its temporary ID for good.
- :func:`new_key_per_retry` [same-key-on-retry]: retries a create with a fresh
  Idempotency-Key each time, so a lost answer turns into a second server thread.
- :func:`fails_on_conflict` [answer-409]: takes a 409 for a failure no retry can fix.
- :func:`gives_up_offline` [offline-never-fails]: fails a change that got no answer
  five times in a row.
- :func:`online_does_nothing` [online-retries-all]: ignores the browser's online event.
- :func:`renews_old_keys` [key-past-retention]: believes keys expire, and sends a
  create retried more than an hour (on its clock) after its first attempt with a new key.
- :func:`fails_on_server_error` [answer-5xx]: takes a 5xx for a 400.
- :func:`ignores_retry_after` [answer-429]: never sees a Retry-After.
- :func:`retries_unauthorized` [answer-401]: takes a 401 for a 503, and keeps retrying.
- :func:`status_ignores_messages` [status-reflects-messages]: a thread's status
  comes from its create and renames only, so a failed message leaves it synced.
- :func:`forgets_current_thread` [reload-keeps-everything]: keeps the current-thread
  pointer in memory only.
- :func:`refuses_former_ids` [temporary-id-usable]: knows a thread by its current ID only.
- :func:`hides_thread_in_flight` [in-flight-view]: leaves a thread out of its list
  while the thread's create is on the wire.
- :func:`stale_tab` [tabs-share-writes]: reads the store once, when it opens, and
  writes over what other tabs wrote since.
- :func:`every_tab_sends` [tabs-one-send]: every tab takes itself for the sender.
- :func:`sends_own_changes_only` [tab-recovery]: a tab sends only what it queued itself.
- :func:`drops_if_match` [rename-if-match]: renames without If-Match.
- :func:`overwrites_on_conflict` [conflict-server-wins]: answered 412, sends its
  rename again without If-Match.
- :func:`pull_only_adds` [pull-applies-remote]: the old pull, which only adds what
  the store has never seen.
- :func:`pull_revives_deletes` [pull-keeps-deletes]: pull brings back a thread whose
  delete is still queued.
- :func:`copies_legacy` [adopts-legacy]: migrates the old client's threads without
  looking for the copies it already made on the server.
"""

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from threadpact.client import mapping, swap
from threadpact.client.adapter import ReferenceClient, reference_client
from threadpact.client.clock import Clock
from threadpact.client.legacy import migrate_legacy
from threadpact.client.outbox import OutboxEntry
from threadpact.client.store import Store, StoreState
from threadpact.client.sync import PullReport, SyncEngine, SyncReport
from threadpact.models import LocalMessage, LocalThread, ServerThread
from threadpact.names import IDEMPOTENCY_KEY, IF_MATCH, PROBLEM_JSON, Role


def variant(
    *,
    base_url: str,
    token: str,
    store_path: Path,
    transport: httpx.BaseTransport,
    wrap: Callable[[httpx.BaseTransport], httpx.BaseTransport] | None = None,
    client: type[ReferenceClient] = ReferenceClient,
    engine: type[SyncEngine] | None = None,
    store: type[Store] | None = None,
) -> ReferenceClient:
    """The reference client as its factory builds it, with the broken parts swapped in:
    a transport around the lab's, and subclasses of its adapter, engine or store."""
    built = reference_client(
        base_url=base_url,
        token=token,
        store_path=store_path,
        transport=wrap(transport) if wrap is not None else transport,
    )
    if engine is not None:
        built.engine.__class__ = engine
    if store is not None:
        built.engine.store.__class__ = store
    return built if client is ReferenceClient else client(built.engine, built.clock)


class Wrapper(httpx.BaseTransport):
    """A transport that passes everything on to ``inner`` (subclasses break something)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def problem(request: httpx.Request, status: int, detail: str) -> httpx.Response:
    """A problem+json answer made up on the client's side."""
    body = {"type": "about:blank", "title": detail, "status": status, "detail": detail}
    return httpx.Response(
        status,
        headers={"content-type": PROBLEM_JSON},
        content=json.dumps(body).encode(),
        request=request,
    )


def with_status(request: httpx.Request, response: httpx.Response, status: int) -> httpx.Response:
    """The answer to ``request`` as if the server had answered ``status``."""
    response.read()
    return httpx.Response(
        status, headers=response.headers, content=response.content, request=request
    )


# -- swap and keys ---------------------------------------------------------------------


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


def ignores_response(**arguments: Any) -> ReferenceClient:
    """The reference client with the original bug: the create's answer is ignored."""
    return variant(**arguments, engine=IgnoresResponseEngine)


class RekeyingTransport(Wrapper):
    """Gives every repeated Idempotency-Key a fresh value before sending it on."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        super().__init__(inner)
        self.seen: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get(IDEMPOTENCY_KEY)
        if key is not None:
            if key in self.seen:
                request.headers[IDEMPOTENCY_KEY] = str(uuid.uuid4())
            self.seen.add(key)
        return self.inner.handle_request(request)


def new_key_per_retry(**arguments: Any) -> ReferenceClient:
    """The reference client, except that each retry sends a new Idempotency-Key."""
    return variant(**arguments, wrap=RekeyingTransport)


class RenewingTransport(Wrapper):
    """Sends a key first sent more than ``after`` seconds ago (on ``clock``) as a new one."""

    def __init__(self, inner: httpx.BaseTransport, after: float = 3600.0) -> None:
        super().__init__(inner)
        self.after = after
        self.clock: Clock | None = None
        self.first_sent: dict[str, float] = {}
        self.renewed: dict[str, str] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get(IDEMPOTENCY_KEY)
        if key is not None and self.clock is not None:
            now = self.clock.now()
            key = self.renewed.get(key, key)
            if now - self.first_sent.setdefault(key, now) > self.after:
                fresh = str(uuid.uuid4())
                self.renewed[str(request.headers[IDEMPOTENCY_KEY])] = fresh
                self.first_sent[fresh] = now
                key = fresh
            request.headers[IDEMPOTENCY_KEY] = key
        return self.inner.handle_request(request)


def renews_old_keys(*, transport: httpx.BaseTransport, **arguments: Any) -> ReferenceClient:
    """The reference client, except that it takes a key first sent over an hour ago
    (on its clock) for expired and sends a new one."""
    renewing = RenewingTransport(transport)
    client = variant(**arguments, transport=renewing)
    renewing.clock = client.clock
    return client


# -- answers ------------------------------------------------------------------------------


class StatusTransport(Wrapper):
    """Shows the client each status of ``shown`` (server status -> status seen) instead."""

    def __init__(self, inner: httpx.BaseTransport, shown: Callable[[int], int]) -> None:
        super().__init__(inner)
        self.shown = shown

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        status = self.shown(response.status_code)
        if status == response.status_code:
            return response
        return with_status(request, response, status)


def fails_on_conflict(**arguments: Any) -> ReferenceClient:
    """The reference client, except that a 409 (same key in flight) fails the thread."""
    return variant(
        **arguments,
        wrap=lambda inner: StatusTransport(inner, lambda s: 400 if s == 409 else s),
    )


def fails_on_server_error(**arguments: Any) -> ReferenceClient:
    """The reference client, except that a 5xx fails the change as a 400 would."""
    return variant(
        **arguments,
        wrap=lambda inner: StatusTransport(inner, lambda s: 400 if s >= 500 else s),
    )


def retries_unauthorized(**arguments: Any) -> ReferenceClient:
    """The reference client, except that a 401 is retried as a 503 would be."""
    return variant(
        **arguments,
        wrap=lambda inner: StatusTransport(inner, lambda s: 503 if s == 401 else s),
    )


class NoRetryAfterTransport(Wrapper):
    """Drops the Retry-After header of every answer."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if "retry-after" in response.headers:
            response.read()
            headers = [(k, v) for k, v in response.headers.items() if k.lower() != "retry-after"]
            return httpx.Response(
                response.status_code, headers=headers, content=response.content, request=request
            )
        return response


def ignores_retry_after(**arguments: Any) -> ReferenceClient:
    """The reference client, except that it never sees a Retry-After."""
    return variant(**arguments, wrap=NoRetryAfterTransport)


class StatusIgnoresMessages(ReferenceClient):
    """Derives a thread's status from its create and renames only (the old rule)."""

    def threads(self) -> list[LocalThread]:
        outbox = self.engine.outbox()
        shown = []
        for thread in super().threads():
            own = [
                e
                for e in outbox
                if e.threadId == thread.id and e.kind in ("createThread", "updateThread")
            ]
            if any(e.state == "failed" for e in own):
                shown.append(thread)
                continue
            status = "pending" if own else "synced"
            shown.append(thread.model_copy(update={"syncStatus": status, "syncError": None}))
        return shown


def status_ignores_messages(**arguments: Any) -> ReferenceClient:
    """The reference client, except that a failed message leaves its thread synced."""
    return variant(**arguments, client=StatusIgnoresMessages)


# -- outages ------------------------------------------------------------------------------


class GivesUpOfflineTransport(Wrapper):
    """After ``limit`` attempts in a row of one request got no answer, answers it 400."""

    def __init__(self, inner: httpx.BaseTransport, limit: int = 5) -> None:
        super().__init__(inner)
        self.limit = limit
        self.unanswered: dict[tuple[str, str, str | None], int] = {}

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        which = (request.method, request.url.path, request.headers.get(IDEMPOTENCY_KEY))
        try:
            response = self.inner.handle_request(request)
        except httpx.TransportError:
            self.unanswered[which] = self.unanswered.get(which, 0) + 1
            if self.unanswered[which] < self.limit:
                raise
            return problem(request, 400, f"gave up after {self.limit} attempts offline")
        self.unanswered.pop(which, None)
        return response


def gives_up_offline(**arguments: Any) -> ReferenceClient:
    """The reference client, except that five attempts without an answer fail a change."""
    return variant(**arguments, wrap=GivesUpOfflineTransport)


class OnlineDoesNothing(ReferenceClient):
    """Ignores the online event: pending changes wait for their timers and a sync."""

    def online(self) -> None:
        """Nothing."""


def online_does_nothing(**arguments: Any) -> ReferenceClient:
    """The reference client, except that ``online()`` sends nothing."""
    return variant(**arguments, client=OnlineDoesNothing)


# -- reloads and IDs --------------------------------------------------------------------


class ForgetsCurrentThread(ReferenceClient):
    """Keeps the current-thread pointer in memory (it follows the swap, not a reload)."""

    current: str | None = None

    def create_thread(self, *, title: str, agent_id: str, model: str, provider: str) -> str:
        made = super().create_thread(title=title, agent_id=agent_id, model=model, provider=provider)
        self.current = made
        return made

    def select_thread(self, thread_id: str) -> None:
        super().select_thread(thread_id)
        self.current = thread_id

    def current_thread_id(self) -> str | None:
        return None if self.current is None else self.engine.resolve(self.current)


def forgets_current_thread(**arguments: Any) -> ReferenceClient:
    """The reference client, except that a reload forgets the current thread."""
    return variant(**arguments, client=ForgetsCurrentThread)


class RefusesFormerIds(ReferenceClient):
    """Finds a thread by its current ID only: a temporary ID stops working at the swap."""

    def _known(self, thread_id: str) -> None:
        if thread_id not in {t.id for t in self.engine.threads()}:
            raise KeyError(f"no thread {thread_id!r}")

    def send_message(self, thread_id: str, *, role: Role, content: str) -> str:
        self._known(thread_id)
        return super().send_message(thread_id, role=role, content=content)

    def rename_thread(self, thread_id: str, title: str) -> None:
        self._known(thread_id)
        super().rename_thread(thread_id, title)

    def delete_thread(self, thread_id: str) -> None:
        self._known(thread_id)
        super().delete_thread(thread_id)

    def select_thread(self, thread_id: str) -> None:
        self._known(thread_id)
        super().select_thread(thread_id)

    def retry(self, thread_id: str) -> None:
        self._known(thread_id)
        super().retry(thread_id)


def refuses_former_ids(**arguments: Any) -> ReferenceClient:
    """The reference client, except that a former (temporary) ID is unknown."""
    return variant(**arguments, client=RefusesFormerIds)


class InFlightTransport(Wrapper):
    """Knows the Idempotency-Keys of the requests on the wire right now."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        super().__init__(inner)
        self.keys: set[str] = set()
        self.lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        key = request.headers.get(IDEMPOTENCY_KEY)
        if key is None:
            return self.inner.handle_request(request)
        with self.lock:
            self.keys.add(key)
        try:
            return self.inner.handle_request(request)
        finally:
            with self.lock:
                self.keys.discard(key)

    def on_the_wire(self) -> set[str]:
        """The keys in flight."""
        with self.lock:
            return set(self.keys)


class HidesThreadInFlight(ReferenceClient):
    """Leaves out of its list a thread whose create is on the wire."""

    wire: InFlightTransport

    def threads(self) -> list[LocalThread]:
        hidden = self.wire.on_the_wire()
        return [t for t in super().threads() if t.id not in hidden]


def hides_thread_in_flight(*, transport: httpx.BaseTransport, **arguments: Any) -> ReferenceClient:
    """The reference client, except that a thread is not shown while it is being created."""
    wire = InFlightTransport(transport)
    client = variant(**arguments, transport=wire, client=HidesThreadInFlight)
    assert isinstance(client, HidesThreadInFlight)
    client.wire = wire
    return client


# -- tabs ----------------------------------------------------------------------------------


class StaleStore(Store):
    """Never re-reads the file after opening it: writes over what other tabs wrote."""

    def _refresh(self) -> None:
        """Nothing: the state read at open is kept."""


def stale_tab(**arguments: Any) -> ReferenceClient:
    """The reference client, except that a tab never sees another tab's writes."""
    return variant(**arguments, store=StaleStore)


class EveryTabSends(Store):
    """Grants the sender lock to every tab, at once."""

    @contextmanager
    def sync_lock(self) -> Iterator[bool]:
        yield True


def every_tab_sends(**arguments: Any) -> ReferenceClient:
    """The reference client, except that two tabs may send the same change at once."""
    return variant(**arguments, store=EveryTabSends)


class SendsOwnChangesOnly(SyncEngine):
    """Sends only the outbox entries this instance (tab) queued itself."""

    def _mine(self) -> set[str]:
        mine: set[str] = self.__dict__.setdefault("queued_here", set())
        return mine

    @contextmanager
    def _noting(self) -> Iterator[None]:
        """Remember the entries the block queued as this instance's own."""
        before = {e.id for e in self.outbox()}
        yield
        self._mine().update(e.id for e in self.outbox() if e.id not in before)

    def create_thread(self, **arguments: Any) -> LocalThread:
        with self._noting():
            return super().create_thread(**arguments)

    def send_message(self, thread_id: str, content: str, *, role: Role = "user") -> LocalMessage:
        with self._noting():
            return super().send_message(thread_id, content, role=role)

    def rename_thread(self, thread_id: str, title: str) -> LocalThread:
        with self._noting():
            return super().rename_thread(thread_id, title)

    def delete_thread(self, thread_id: str) -> None:
        with self._noting():
            super().delete_thread(thread_id)

    def _may_send(self, entry: OutboxEntry) -> bool:
        return entry.id in self._mine()

    def drain(self, *, max_wait: float | None = None) -> SyncReport:
        """Sync until none of this tab's own entries is left to send in this run (the
        reference's drain would wait for the others' entries for ever)."""
        del max_wait
        report = SyncReport()
        for _ in range(self.policy.max_attempts):
            report = report + self.sync_once()
            waiting = [e for e in self.outbox() if e.id in self._mine() and e.state == "queued"]
            if not waiting:
                break
            self.clock.sleep(max(min(e.notBefore for e in waiting) - self.clock.now(), 0.0))
        return report


def sends_own_changes_only(**arguments: Any) -> ReferenceClient:
    """The reference client, except that a tab leaves other tabs' changes unsent."""
    return variant(**arguments, engine=SendsOwnChangesOnly)


# -- renames, deletes, pull, legacy ------------------------------------------------------


class NoIfMatchTransport(Wrapper):
    """Drops If-Match from every request."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if IF_MATCH in request.headers:
            del request.headers[IF_MATCH]
        return self.inner.handle_request(request)


def drops_if_match(**arguments: Any) -> ReferenceClient:
    """The reference client, except that renames are unconditional."""
    return variant(**arguments, wrap=NoIfMatchTransport)


class OverwritingTransport(Wrapper):
    """Answered 412, sends the request again without If-Match (the client's title wins)."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        response = self.inner.handle_request(request)
        if response.status_code != 412 or IF_MATCH not in request.headers:
            return response
        response.read()
        response.close()
        again = httpx.Request(
            request.method,
            request.url,
            headers=[(k, v) for k, v in request.headers.items() if k.lower() != IF_MATCH.lower()],
            content=request.content,
        )
        return self.inner.handle_request(again)


def overwrites_on_conflict(**arguments: Any) -> ReferenceClient:
    """The reference client, except that a stale rename overwrites the server's title."""
    return variant(**arguments, wrap=OverwritingTransport)


class PullOnlyAdds(SyncEngine):
    """The old pull: adds the threads and messages the store has never seen, nothing more."""

    def pull(self) -> PullReport:
        if any(e.kind in ("createThread", "createMessage") for e in self.outbox()):
            return PullReport()
        server_threads = list(self.api.iter_threads())
        fetched = {str(t.id): list(self.api.iter_messages(t.id)) for t in server_threads}
        added_threads = added_messages = 0
        with self.store.transaction() as state:
            for server in reversed(server_threads):
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


def pull_only_adds(**arguments: Any) -> ReferenceClient:
    """The reference client with the old pull: renames and deletes made elsewhere never show."""
    return variant(**arguments, engine=PullOnlyAdds)


class PullRevivesDeletes(SyncEngine):
    """After pulling, adds back the server threads whose delete is still queued."""

    def pull(self) -> PullReport:
        report = super().pull()
        deleting = {e.threadId for e in self.outbox() if e.kind == "deleteThread"}
        revived = [t for t in self.api.iter_threads() if str(t.id) in deleting]
        if not revived:
            return report
        messages = {str(t.id): list(self.api.iter_messages(t.id)) for t in revived}
        with self.store.transaction() as state:
            for server in revived:
                if state.thread(str(server.id)) is None:
                    state.threads.append(
                        mapping.local_thread(
                            server,
                            messages=[mapping.local_message(m) for m in messages[str(server.id)]],
                        )
                    )
        return report


def pull_revives_deletes(**arguments: Any) -> ReferenceClient:
    """The reference client, except that pull brings back a thread being deleted."""
    return variant(**arguments, engine=PullRevivesDeletes)


class CopiesLegacy(ReferenceClient):
    """Migrates legacy threads as new ones: the server copies the old client made stay."""

    def import_legacy(self, dump: dict[str, Any]) -> None:
        migrate_legacy(dump, self.engine.store, clock=self.clock, adopt=False)


def copies_legacy(**arguments: Any) -> ReferenceClient:
    """The reference client, except that legacy threads are created anew, never adopted."""
    return variant(**arguments, client=CopiesLegacy)
