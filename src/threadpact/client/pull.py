"""Bringing in what changed on the server elsewhere: another device, or the old client.

:func:`fetch` reads everything the server holds for the user (each thread with its
``ETag`` and its messages); :func:`merge` applies it to the store in one
transaction, by these rules:

- a server thread the store does not know is added with its messages, unless one
  of the store's own creates is unresolved (its answer was lost, so the unknown
  thread may be that very create: adding it would show it twice);
- a known thread takes the server's title, unless a rename of it is queued (the
  local change is newer and goes out with ``If-Match``); it gets the server's
  messages it does not have, unless one of its own message creates is unresolved;
- a thread whose delete is queued is never brought back;
- a thread that was synced when the fetch began and is gone from the server was
  deleted elsewhere: it goes locally too. A thread swapped in after the fetch
  began is not in that set, so it is never taken for deleted.

:func:`find_twin` is the legacy rule: the server thread the old client already
made for a migrated thread.
"""

from dataclasses import dataclass

from threadpact.client import mapping
from threadpact.client.api import ThreadsApi
from threadpact.client.errors import NotFound
from threadpact.client.outbox import OutboxEntry
from threadpact.client.store import StoreState
from threadpact.models import LocalThread, Message, ServerThread, ThreadCreate

LEGACY_SKEW_MS = 5 * 60 * 1000
"""How much earlier than the old client's local ``createdAt`` its server twin may be
stamped (the two clocks differ)."""


@dataclass(frozen=True)
class Remote:
    """One server thread as fetched: its latest version, ETag and messages."""

    thread: ServerThread
    etag: str | None
    messages: list[Message]


@dataclass(frozen=True)
class Changes:
    """What a pull changed locally."""

    added_threads: int = 0
    added_messages: int = 0
    renamed: int = 0
    removed: int = 0


def synced_ids(state: StoreState) -> set[str]:
    """The local threads with nothing queued: what the server holds as they are."""
    busy = {e.threadId for e in state.outbox}
    return {t.id for t in state.threads if t.id not in busy}


def fetch(api: ThreadsApi) -> list[Remote]:
    """Every thread of the user (oldest first) with its ETag and messages."""
    remote: list[Remote] = []
    for listed in reversed(list(api.iter_threads())):
        try:
            current = api.get_thread(listed.id)
            messages = list(api.iter_messages(listed.id))
        except NotFound:
            continue  # deleted while we read: as if never listed
        remote.append(Remote(current.thread, current.etag, messages))
    return remote


def _unresolved(state: StoreState, kind: str, thread_id: str | None = None) -> bool:
    return any(
        e.kind == kind and e.everSent and (thread_id is None or e.threadId == thread_id)
        for e in state.outbox
    )


def merge(state: StoreState, remote: list[Remote], synced_before: set[str]) -> Changes:
    """Apply a fetch to the store (see the module notes); ``synced_before``: the
    :func:`synced_ids` taken before the fetch began."""
    deleting = {e.threadId for e in state.outbox if e.kind == "deleteThread"}
    renaming = {e.threadId for e in state.outbox if e.kind == "updateThread"}
    may_add = not _unresolved(state, "createThread")
    added = messages_added = renamed = 0
    on_server: set[str] = set()
    for item in remote:
        server_id = str(item.thread.id)
        on_server.add(server_id)
        if server_id in deleting:
            continue
        local = state.thread(server_id)
        if local is None:
            if may_add:
                state.threads.append(
                    mapping.local_thread(
                        item.thread, messages=[mapping.local_message(m) for m in item.messages]
                    )
                )
                _remember(state, server_id, item.etag)
                added += 1
                messages_added += len(item.messages)
            continue
        if local.id not in renaming:
            _remember(state, local.id, item.etag)
            if local.title != item.thread.title:
                local.title = item.thread.title
                renamed += 1
            local.updatedAt = max(local.updatedAt, mapping.datetime_to_ms(item.thread.updated_at))
        if not _unresolved(state, "createMessage", local.id):
            known = {m.id for m in local.messages}
            fresh = [m for m in item.messages if str(m.id) not in known]
            local.messages.extend(mapping.local_message(m) for m in fresh)
            messages_added += len(fresh)
    gone = synced_before & synced_ids(state) - on_server
    removed = [t for t in state.threads if t.id in gone]
    for thread in removed:
        state.threads.remove(thread)
        state.etags.pop(thread.id, None)
        if state.currentThreadId == thread.id:
            state.currentThreadId = None
    return Changes(added, messages_added, renamed, len(removed))


def _remember(state: StoreState, thread_id: str, etag: str | None) -> None:
    if etag is not None:
        state.etags[thread_id] = etag


def find_twin(
    api: ThreadsApi, state: StoreState, entry: OutboxEntry, local: LocalThread
) -> ServerThread | None:
    """The server thread the old client made for the migrated ``local``, if any.

    Not known locally, the same title, agent, model and provider as the queued
    create, stamped no earlier than ``local.createdAt`` minus :data:`LEGACY_SKEW_MS`;
    the earliest such thread.
    """
    body = ThreadCreate.model_validate(entry.body)
    known = {t.id for t in state.threads} | {e.threadId for e in state.outbox}
    earliest = local.createdAt - LEGACY_SKEW_MS
    candidates = [
        server
        for server in api.iter_threads()
        if str(server.id) not in known
        and (server.title, server.agent_id, server.model, server.provider)
        == (body.title, body.agent_id, body.model, body.provider)
        and mapping.datetime_to_ms(server.created_at) >= earliest
    ]
    return min(candidates, key=lambda s: (s.created_at, str(s.id)), default=None)
