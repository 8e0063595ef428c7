"""What a send's outcome changes in the store: the ID swap and the failure marks.

Pure functions over a :class:`StoreState` inside a transaction, so each outcome is
one atomic write: the thread's ID, the current-thread pointer, the aliases and
every queued entry that names the temporary ID move together.
"""

from threadpact.client import mapping
from threadpact.client.outbox import OutboxEntry
from threadpact.client.store import StoreState
from threadpact.models import LocalThread, Message, ServerThread


def remove_entry(state: StoreState, entry_id: str) -> None:
    """Drop a finished entry from the outbox."""
    state.outbox = [e for e in state.outbox if e.id != entry_id]


def refresh_status(state: StoreState, thread: LocalThread) -> None:
    """Derive a thread's sync status from all of its outbox entries, messages included:
    failed if any failed for good (with the first one's reason), pending if any is
    queued, synced otherwise."""
    mine = [e for e in state.outbox if e.threadId == thread.id]
    failed = [e for e in mine if e.state == "failed"]
    if failed:
        thread.syncStatus = "failed"
        thread.syncError = failed[0].lastError
    elif mine:
        thread.syncStatus = "pending"
        thread.syncError = None
    else:
        thread.syncStatus = "synced"
        thread.syncError = None


def _merge_into(existing: LocalThread, duplicate: LocalThread) -> None:
    """Fold a second local copy of one server thread into the first (never show it twice)."""
    known = {m.id for m in existing.messages} | {m.clientId for m in existing.messages}
    existing.messages.extend(m for m in duplicate.messages if m.id not in known)
    for alias in [*duplicate.aliases, duplicate.id]:
        if alias != existing.id and alias not in existing.aliases:
            existing.aliases.append(alias)


def move_thread_id(state: StoreState, old: str, new: str) -> None:
    """Point everything that names ``old`` at ``new``; ``old`` lives on as an alias."""
    if old == new:
        return
    if old in state.etags:
        state.etags[new] = state.etags.pop(old)
    for entry in state.outbox:
        if entry.threadId == old:
            entry.threadId = new
    if state.currentThreadId == old:
        state.currentThreadId = new
    for former, current in list(state.aliases.items()):
        if current == old:
            state.aliases[former] = new
    state.aliases[old] = new
    state.aliases.pop(new, None)


def remember_etag(state: StoreState, thread_id: str, etag: str | None) -> None:
    """Keep the last ``ETag`` the server sent for a thread (a rename's ``If-Match``)."""
    if etag is not None:
        state.etags[thread_id] = etag


def apply_thread_created(
    state: StoreState, entry: OutboxEntry, server: ServerThread, etag: str | None = None
) -> None:
    """The swap: the thread created by ``entry`` takes the server's ID everywhere."""
    old, new = entry.threadId, str(server.id)
    remove_entry(state, entry.id)
    remember_etag(state, new, etag)
    local = next((t for t in state.threads if t.id == old), None)
    if local is not None:
        adopted = mapping.adopt_server_thread(local, server)
        index = state.threads.index(local)
        existing = next((t for t in state.threads if t.id == new and t is not local), None)
        if existing is not None:
            _merge_into(existing, adopted)
            del state.threads[index]
        else:
            state.threads[index] = adopted
    move_thread_id(state, old, new)
    thread = state.thread(new)
    if thread is not None:
        refresh_status(state, thread)


def apply_thread_updated(state: StoreState, entry: OutboxEntry, etag: str | None) -> None:
    """A rename reached the server."""
    remove_entry(state, entry.id)
    remember_etag(state, entry.threadId, etag)
    thread = state.thread(entry.threadId)
    if thread is not None:
        refresh_status(state, thread)


def take_server_version(
    state: StoreState, entry: OutboxEntry, server: ServerThread, etag: str | None
) -> None:
    """A rename met a newer version (412): the server wins over that rename. The
    rename is dropped and the thread takes the server's ETag, and its title unless a
    later rename is queued (the user's newer change, sent next with that ETag)."""
    remove_entry(state, entry.id)
    remember_etag(state, entry.threadId, etag)
    thread = state.thread(entry.threadId)
    if thread is None:
        return
    later = any(e.threadId == thread.id and e.kind == "updateThread" for e in state.outbox)
    if not later:
        thread.title = server.title
        thread.updatedAt = max(thread.updatedAt, mapping.datetime_to_ms(server.updated_at))
    refresh_status(state, thread)


def apply_message_created(state: StoreState, entry: OutboxEntry, server: Message) -> None:
    """A message reached the server: it takes the server's ID, its own kept as clientId."""
    remove_entry(state, entry.id)
    thread = state.thread(entry.threadId)
    if thread is None:
        return
    for index, message in enumerate(thread.messages):
        if message.id == entry.messageId:
            thread.messages[index] = mapping.adopt_server_message(message, server)
            break
    refresh_status(state, thread)


def mark_failed(state: StoreState, entry: OutboxEntry, reason: str) -> None:
    """Stop retrying ``entry``: it waits, with its reason, for a manual retry."""
    entry.state = "failed"
    entry.lastError = reason
    thread = state.thread(entry.threadId)
    if thread is None:
        return
    if entry.kind == "createMessage":
        for message in thread.messages:
            if message.id == entry.messageId:
                message.syncStatus = "failed"
    refresh_status(state, thread)


def reset_failed(state: StoreState, thread_id: str) -> int:
    """Re-queue every failed entry of a thread (keys unchanged); returns how many."""
    count = 0
    for entry in state.outbox:
        if entry.threadId == thread_id and entry.state == "failed":
            entry.state = "queued"
            entry.attempts = 0
            entry.notBefore = 0.0
            entry.lastError = None
            count += 1
    thread = state.thread(thread_id)
    if thread is not None:
        for message in thread.messages:
            if message.syncStatus == "failed":
                message.syncStatus = "pending"
        refresh_status(state, thread)
    return count
