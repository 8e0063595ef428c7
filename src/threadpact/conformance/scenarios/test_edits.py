"""Renames, deletes and pull: a rename is conditional on the last ETag the client saw
and the server wins a conflict; pull shows what changed elsewhere, but never brings
back a thread whose delete is still queued."""

import uuid

from threadpact.client.api import ThreadsApi
from threadpact.conformance.faults import THREAD as THREAD_PATH
from threadpact.conformance.lab import Lab, expect, only_thread
from threadpact.conformance.scenarios.common import THREAD, statuses_of, thread_of
from threadpact.models import ThreadCreate, ThreadUpdate


def test_a_rename_carries_the_last_etag_the_client_saw(lab: Lab, observer: ThreadsApi) -> None:
    """Each PATCH sends If-Match with the thread's ETag as the client last saw it: from
    the create's answer, then from the previous rename's."""
    client = lab.open()
    temporary = client.create_thread(title="Draft title", **THREAD)
    client.sync()
    thread_id = only_thread(client).id
    rule = "rename-if-match"
    for title in ("First rename", "Second rename"):
        etag = observer.get_thread(thread_id).etag
        already = len(lab.transport.renames())
        client.rename_thread(thread_id, title)
        client.sync()
        patches = lab.transport.renames()[already:]
        expect(
            bool(patches),
            "no-unsynced",
            f"the rename to {title!r} was never sent (no PATCH /threads/{thread_id})",
        )
        expect(
            patches[0].if_match == etag,
            rule,
            f"the rename to {title!r} sent If-Match {patches[0].if_match!r}; the thread's "
            f"ETag was {etag!r}",
        )
        server = observer.get_thread(thread_id).thread
        expect(
            server.title == title,
            "no-unsynced",
            f"after the rename to {title!r} synced, the server's title is {server.title!r}",
        )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_a_rename_conflict_is_won_by_the_server(lab: Lab, observer: ThreadsApi) -> None:
    """Renamed elsewhere after the client last saw it, the thread keeps the server's title:
    the client's rename gets a 412, the client takes the server's title, and is synced."""
    client = lab.open()
    temporary = client.create_thread(title="Original title", **THREAD)
    client.sync()
    thread_id = only_thread(client).id
    observer.update_thread(thread_id, ThreadUpdate(title="Renamed on the server"))
    client.rename_thread(thread_id, "Renamed in the client")
    client.sync()

    rule = "conflict-server-wins"
    server = observer.get_thread(thread_id).thread
    patches = lab.transport.renames()
    expect(
        server.title == "Renamed on the server",
        rule,
        f"the client's rename overwrote the title set elsewhere: the server's title is "
        f"{server.title!r} (the PATCHes sent If-Match {[p.if_match for p in patches]} and "
        f"were answered {statuses_of(patches)})",
    )
    thread = only_thread(client)
    expect(
        thread.title == "Renamed on the server",
        rule,
        f"after the conflict the client shows the title {thread.title!r}, the server's is "
        "'Renamed on the server'",
    )
    expect(
        thread.syncStatus == "synced",
        rule,
        f"after the conflict the thread is {thread.syncStatus} ({thread.syncError!r}), not synced",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_pull_shows_renames_and_deletes_made_elsewhere(lab: Lab, observer: ThreadsApi) -> None:
    """After another device renamed one thread, deleted another and made a third, pull
    shows the rename and the new thread and drops the deleted one."""
    client = lab.open()
    kept = client.create_thread(title="Renamed elsewhere soon", **THREAD)
    doomed = client.create_thread(title="Deleted elsewhere soon", **THREAD)
    client.sync()
    kept_thread, doomed_thread = thread_of(client, kept), thread_of(client, doomed)
    assert kept_thread is not None, "the client lost a thread"
    assert doomed_thread is not None, "the client lost a thread"
    observer.update_thread(kept_thread.id, ThreadUpdate(title="Renamed elsewhere"))
    observer.delete_thread(doomed_thread.id)
    made = observer.create_thread(
        ThreadCreate(title="Made elsewhere", **THREAD), idempotency_key=str(uuid.uuid4())
    ).value
    client.pull()

    rule = "pull-applies-remote"
    shown = [(t.id, t.title) for t in client.threads()]
    expect(
        thread_of(client, doomed_thread.id) is None,
        rule,
        f"after pull the client still shows thread {doomed_thread.id}, deleted elsewhere "
        f"(it shows {shown})",
    )
    renamed = thread_of(client, kept_thread.id)
    expect(
        renamed is not None and renamed.title == "Renamed elsewhere",
        rule,
        f"after pull thread {kept_thread.id} is titled "
        f"{renamed.title if renamed else None!r}; it was renamed elsewhere to "
        "'Renamed elsewhere'",
    )
    expect(
        thread_of(client, str(made.id)) is not None,
        "no-orphans",
        f"after pull the client does not show thread {made.id}, made elsewhere ({shown})",
    )
    lab.check_synced(client, temporary_ids={kept, doomed}, creations=None)


def test_pull_never_brings_back_a_thread_being_deleted(lab: Lab) -> None:
    """A delete answered 503 is still queued: pull leaves the thread deleted, and the
    delete goes through later."""
    client = lab.open()
    survivor = client.create_thread(title="Survivor", **THREAD)
    doomed = client.create_thread(title="Being deleted", **THREAD)
    client.sync()
    doomed_thread = thread_of(client, doomed)
    assert doomed_thread is not None, "the client lost a thread"
    doomed_id = doomed_thread.id
    lab.transport.answer(503, "DELETE", THREAD_PATH, times=2)
    client.delete_thread(doomed_id)
    client.sync_once()

    rule = "pull-keeps-deletes"
    expect(
        statuses_of(lab.transport.deletes()) == [503],
        rule,
        f"the client's deletes were answered {statuses_of(lab.transport.deletes())}; "
        "expected one 503",
    )
    for attempt in range(2):
        client.pull()
        back = thread_of(client, doomed_id)
        expect(
            back is None,
            rule,
            f"after pull the thread {doomed_id}, whose DELETE was answered 503 and is still "
            f"queued, is back ({back.syncStatus if back else ''})",
        )
        if attempt == 0:
            client.advance(60)
            client.sync_once()
    client.sync()
    client.pull()
    statuses = statuses_of(lab.transport.deletes())
    expect(
        statuses[-1:] == [204],
        rule,
        f"the delete never went through: the DELETEs were answered {statuses}",
    )
    expect(
        [str(t.id) for t in lab.server().threads] == [only_thread(client).id],
        rule,
        f"after the delete went through the server has {[str(t.id) for t in lab.server().threads]}"
        f", the client {[t.id for t in client.threads()]}",
    )
    lab.check_synced(client, temporary_ids={survivor, doomed}, creations=None)
