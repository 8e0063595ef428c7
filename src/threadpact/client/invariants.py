"""The consumer rules of the contract, as named checks a test or a gate can run.

Each broken rule is reported as a :class:`Violation` whose text starts with
``rule <name>:``, so a failure says which rule broke, not just what differed.
"""

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from threadpact.client.api import ThreadsApi
from threadpact.models import LocalThread, Message, ServerThread

INVARIANT_RULES: dict[str, str] = {
    "swap": "after a successful create, the thread's local ID is the server's ID",
    "alias": "the temporary ID is kept as an alias of the swapped thread",
    "key-is-temporary-id": "a thread create sends the thread's temporary ID as Idempotency-Key",
    "same-key-on-retry": "every retry of a create sends the key of its first attempt",
    "message-key": "each message create sends its own key, the client's message ID",
    "no-orphans": "every server thread of the user is a local thread",
    "no-unsynced": "every local thread is on the server and synced",
    "no-duplicates": "one local creation makes exactly one server thread",
    "messages-match": "each thread's messages are the same on both sides, in the same order",
    "current-follows": "the current-thread pointer follows the swap to the server ID",
    "pending-while-offline": "a create that cannot reach the server stays, pending and usable",
    "offline-never-fails": "however long the network is down, nothing is marked failed: "
    "it stays pending",
    "online-retries-all": "when the network comes back, every pending change is sent at once, "
    "each with its own key",
    "key-past-retention": "a create retried after the server's key retention window makes no "
    "second thread",
    "answer-5xx": "a 5xx keeps the change pending and retries it with the same key",
    "answer-409": "a 409 (the same key still in flight) keeps the change pending and retries "
    "it with the same key",
    "answer-429": "a 429 is not retried before its Retry-After has passed, then is retried "
    "with the same key",
    "answer-401": "a 401 marks the thread failed with the reason and stops; after signing in, "
    "a manual retry sends the same key",
    "stop-on-permanent": "a 4xx that retrying cannot fix (400, 422) marks the thread failed "
    "and stops",
    "status-reflects-messages": "a message that failed for good makes its thread failed, "
    "with the reason",
    "manual-retry": "a manual retry of a failed thread re-sends the same key and syncs",
    "nothing-deleted": "no local thread or message disappears because a sync failed",
    "reload-resumes": "a new process on the same store keeps the threads and resumes the outbox",
    "reload-keeps-everything": "a reload at any point (before any sync, with a create in "
    "flight, after the swap) keeps the threads, messages, current-thread pointer and aliases",
    "temporary-id-usable": "after the swap the temporary ID still selects the thread, takes "
    "messages and retries",
    "in-flight-view": "while its create is in flight a thread is shown once, pending, under "
    "its temporary ID, and stays usable",
    "tabs-share-writes": "two tabs on one store lose none of each other's writes",
    "tabs-one-send": "a change is never sent by two tabs at once",
    "tab-recovery": "what a tab closed while offline left pending is sent by the next tab "
    "that comes online",
    "rename-if-match": "a rename carries If-Match with the last ETag the client saw of the thread",
    "conflict-server-wins": "on a 412 the client refetches the thread and takes the server's "
    "title; the thread is synced, not failed",
    "pull-applies-remote": "pull shows the renames and deletes made elsewhere",
    "pull-keeps-deletes": "pull never brings back a thread whose delete is queued",
    "adopts-legacy": "threads the old client already made on the server are adopted, not copied",
}


@dataclass(frozen=True)
class Violation:
    """One broken rule, with what was observed."""

    rule: str
    message: str

    def __str__(self) -> str:
        return f"rule {self.rule}: {self.message}"


@dataclass(frozen=True)
class ServerView:
    """Everything the server holds for one principal."""

    threads: list[ServerThread]
    messages: dict[str, list[Message]]


def server_view(api: ThreadsApi) -> ServerView:
    """Read all of the principal's threads and their messages."""
    threads = list(api.iter_threads())
    return ServerView(threads, {str(t.id): list(api.iter_messages(t.id)) for t in threads})


def _messages(local: LocalThread, remote: Sequence[Message]) -> list[Violation]:
    found: list[Violation] = []
    mine = [(m.role, m.content) for m in local.messages]
    theirs = [(m.role, m.content) for m in remote]
    if mine != theirs:
        found.append(
            Violation(
                "messages-match",
                f"thread {local.id}: local messages {mine} but the server has {theirs}",
            )
        )
        return found
    for ours, server in zip(local.messages, remote, strict=True):
        if ours.id != str(server.id):
            found.append(
                Violation(
                    "messages-match",
                    f"thread {local.id}: local message {ours.id} should have taken the "
                    f"server's id {server.id}",
                )
            )
        if ours.syncStatus != "synced":
            found.append(
                Violation("messages-match", f"message {ours.id} is {ours.syncStatus}, not synced")
            )
    return found


def check_synced(
    local: Sequence[LocalThread],
    server: ServerView,
    *,
    temporary_ids: Collection[str] = (),
    creations: int | None = None,
) -> list[Violation]:
    """The invariants that must hold once the network healed and the outbox drained.

    ``temporary_ids`` are the IDs the client handed out at create time;
    ``creations`` is how many threads the client created (None: do not count).
    """
    found: list[Violation] = []
    server_ids = {str(t.id) for t in server.threads}
    local_ids = [t.id for t in local]
    for thread in local:
        if thread.id in temporary_ids and thread.id not in server_ids:
            found.append(
                Violation(
                    "swap",
                    f"local id {thread.id} is still the temporary id after a successful create",
                )
            )
        if thread.syncStatus != "synced":
            found.append(
                Violation(
                    "no-unsynced",
                    f"thread {thread.id} is {thread.syncStatus}: {thread.syncError or 'no reason'}",
                )
            )
    for thread_id, count in Counter(local_ids).items():
        if count > 1:
            found.append(Violation("no-duplicates", f"thread {thread_id} is shown {count} times"))
    if creations is not None and len(server.threads) != creations:
        found.append(
            Violation(
                "no-duplicates",
                f"{creations} local creation(s) made {len(server.threads)} server thread(s)",
            )
        )
    for missing in sorted(set(local_ids) - server_ids):
        found.append(Violation("no-unsynced", f"local thread {missing} is not on the server"))
    for orphan in sorted(server_ids - set(local_ids)):
        found.append(Violation("no-orphans", f"server thread {orphan} has no local thread"))
    by_id = {t.id: t for t in local}
    for thread_id in sorted(server_ids & set(local_ids)):
        found.extend(_messages(by_id[thread_id], server.messages.get(thread_id, [])))
    return found
