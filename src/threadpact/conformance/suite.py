"""The client conformance suite: the seed scenarios and the swap invariants.

Runs against the client named by ``--client module:factory`` (default: the
reference client), on a real provider, once per database backend (SQLite, and
PostgreSQL when ``--postgres-url`` names a server). Every failure starts with
``rule <name>:`` (see threadpact.client.invariants.INVARIANT_RULES). The fixtures
come from :mod:`threadpact.conformance.plugin`::

    python -m pytest -p threadpact.conformance.plugin --pyargs threadpact.conformance.suite \\
        --client mypkg.adapter:make_client
"""

import httpx

from threadpact.client.api import ThreadsApi
from threadpact.conformance.faults import MESSAGE_CREATE, THREAD_CREATE
from threadpact.conformance.lab import Lab, expect, only_thread
from threadpact.models import ThreadCreate
from threadpact.names import Role

THREAD = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai"}


def keys_agree(lab: Lab, first_key: str | None) -> None:
    """Every create attempt recorded so far sent the first attempt's key."""
    for attempt in lab.transport.thread_creates():
        expect(
            attempt.key == first_key,
            "same-key-on-retry",
            f"the retry sent key {attempt.key}, the first attempt sent key {first_key}",
        )


def test_create_takes_the_server_id(lab: Lab) -> None:
    """Seed 1: after a create, the local ID is the server's and the server has one thread."""
    client = lab.open()
    temporary = client.create_thread(title="Refund for order 1042", **THREAD)
    client.select_thread(temporary)
    client.sync()

    creates = lab.transport.thread_creates()
    expect(bool(creates), "no-unsynced", "the client never sent POST /threads")
    expect(
        creates[0].key == temporary,
        "key-is-temporary-id",
        f"the create sent Idempotency-Key {creates[0].key}, the thread's temporary id "
        f"is {temporary}",
    )
    view = lab.server()
    expect(
        len(view.threads) == 1,
        "no-duplicates",
        f"one create made {len(view.threads)} server threads",
    )
    thread = only_thread(client)
    server_id = str(view.threads[0].id)
    expect(
        thread.id != temporary,
        "swap",
        f"local id {thread.id} is still the temporary id after a successful create "
        f"(the server's id is {server_id})",
    )
    expect(
        thread.id == server_id,
        "swap",
        f"local id {thread.id} is not the server's id {server_id}",
    )
    expect(
        temporary in thread.aliases,
        "alias",
        f"the temporary id {temporary} is not among the aliases {thread.aliases}",
    )
    expect(
        client.current_thread_id() == server_id,
        "current-follows",
        f"the current thread is {client.current_thread_id()}, not the server id {server_id}",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_reload_keeps_the_synced_thread(lab: Lab) -> None:
    """Seed 2: a new client on the same store sees the thread, synced, under the same ID."""
    client = lab.open()
    temporary = client.create_thread(title="Kept across reloads", **THREAD)
    client.send_message(temporary, role="user", content="Still here after a reload?")
    client.sync()
    before = only_thread(client)

    reloaded = lab.open()
    after = only_thread(reloaded)
    expect(
        after.id == before.id,
        "reload-resumes",
        f"after a reload the thread is {after.id}, before it was {before.id}",
    )
    expect(
        after.syncStatus == "synced",
        "reload-resumes",
        f"after a reload the thread is {after.syncStatus}, it was synced",
    )
    expect(
        [m.content for m in after.messages] == [m.content for m in before.messages],
        "nothing-deleted",
        f"after a reload the messages are {[m.content for m in after.messages]}",
    )
    lab.check_synced(reloaded, temporary_ids={temporary}, creations=1)


def test_reload_resumes_the_outbox(lab: Lab) -> None:
    """A create queued by one process is sent by the next process on the same store."""
    lab.transport.offline = True
    client = lab.open()
    temporary = client.create_thread(title="Queued before a reload", **THREAD)
    client.send_message(temporary, role="user", content="typed offline")
    client.sync_once()

    lab.transport.offline = False
    reloaded = lab.open()
    thread = only_thread(reloaded)
    expect(
        thread.id == temporary and thread.syncStatus == "pending",
        "reload-resumes",
        f"after a reload the unsent thread is {thread.id} ({thread.syncStatus}), "
        f"expected {temporary} (pending)",
    )
    reloaded.sync()
    keys_agree(lab, temporary)
    lab.check_synced(reloaded, temporary_ids={temporary}, creations=1)


def test_offline_create_stays_pending_then_syncs(lab: Lab) -> None:
    """Seed 3: offline, the thread is pending and usable; back online, it swaps."""
    lab.transport.offline = True
    client = lab.open()
    temporary = client.create_thread(title="Written on a train", **THREAD)
    client.select_thread(temporary)
    client.send_message(temporary, role="user", content="first, offline")
    client.sync_once()

    thread = only_thread(client)
    expect(
        thread.id == temporary,
        "pending-while-offline",
        f"offline, the thread changed id to {thread.id}",
    )
    expect(
        thread.syncStatus == "pending",
        "pending-while-offline",
        f"offline after one attempt, the thread is {thread.syncStatus}, not pending",
    )
    client.send_message(temporary, role="assistant", content="second, still offline")
    expect(
        [m.content for m in only_thread(client).messages]
        == ["first, offline", "second, still offline"],
        "pending-while-offline",
        "messages typed offline are not all kept",
    )
    expect(not lab.server().threads, "no-orphans", "the server has a thread while offline")

    lab.transport.offline = False
    client.sync()
    thread = only_thread(client)
    expect(
        thread.id != temporary,
        "swap",
        f"local id {thread.id} is still the temporary id after a successful create",
    )
    expect(
        client.current_thread_id() == thread.id,
        "current-follows",
        f"the current thread is {client.current_thread_id()}, the thread is now {thread.id}",
    )
    keys_agree(lab, temporary)
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_lost_response_makes_no_duplicate(lab: Lab) -> None:
    """Seed 4: the server commits, the answer is lost; the retry finds the same thread."""
    lab.transport.lose_response("POST", THREAD_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="The answer got lost", **THREAD)
    client.sync()

    creates = lab.transport.thread_creates()
    expect(
        len(creates) >= 2,
        "pending-while-offline",
        f"after a lost answer the client sent {len(creates)} create(s) and never retried",
    )
    keys_agree(lab, creates[0].key)
    view = lab.server()
    expect(
        len(view.threads) == 1,
        "no-duplicates",
        f"a retried create made {len(view.threads)} server threads",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_lost_message_response_makes_no_duplicate(lab: Lab) -> None:
    """A message whose answer was lost is retried with its key and appears once."""
    lab.transport.lose_response("POST", MESSAGE_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="Message answer lost", **THREAD)
    message_id = client.send_message(temporary, role="user", content="only once, please")
    client.sync()

    sends = lab.transport.message_creates()
    for attempt in sends:
        expect(
            attempt.key == message_id,
            "message-key",
            f"a message create sent key {attempt.key}, the message's id is {message_id}",
        )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_three_rapid_creates(lab: Lab) -> None:
    """Seed 5: three creates in a row make three server threads, no duplicates."""
    client = lab.open()
    temporaries = [client.create_thread(title=f"Rapid {n}", **THREAD) for n in range(1, 4)]
    expect(
        len(set(temporaries)) == 3,
        "no-duplicates",
        f"three creates got the temporary ids {temporaries}",
    )
    client.sync()

    keys = [s.key for s in lab.transport.thread_creates()]
    expect(
        set(keys) == set(temporaries),
        "key-is-temporary-id",
        f"the creates sent keys {keys}, the temporary ids are {temporaries}",
    )
    threads = lab.check_synced(client, temporary_ids=set(temporaries), creations=3)
    expect(
        len({t.id for t in threads}) == 3,
        "no-duplicates",
        f"three creates ended as {[t.id for t in threads]}",
    )


def test_messages_sent_during_the_create_arrive_in_order(lab: Lab) -> None:
    """Seed 6: messages typed while the create is in flight follow it, in order."""
    client = lab.open()
    typed: list[tuple[Role, str]] = [
        ("user", "Where is my refund?"),
        ("assistant", "Let me check order 1042."),
        ("user", "Thanks!"),
    ]
    sent_ids: list[str] = []
    temporary = client.create_thread(title="Typed while creating", **THREAD)

    def type_messages(request: httpx.Request) -> None:
        del request  # any create will do
        for role, content in typed:
            sent_ids.append(client.send_message(temporary, role=role, content=content))

    lab.transport.before("POST", THREAD_CREATE, type_messages)
    client.sync()

    expect(len(sent_ids) == 3, "pending-while-offline", "the client did not send the create")
    [thread] = lab.check_synced(client, temporary_ids={temporary}, creations=1)
    keys = [s.key for s in lab.transport.message_creates()]
    expect(
        keys == sent_ids,
        "message-key",
        f"the message creates sent keys {keys}, the messages' ids are {sent_ids}",
    )
    contents = [(m.role, m.content) for m in thread.messages]
    expect(
        contents == typed,
        "messages-match",
        f"the thread's messages are {contents}, typed were {typed}",
    )
    expect(
        [m.clientId for m in thread.messages] == sent_ids,
        "messages-match",
        "each synced message should keep its own id as clientId",
    )


def failed_with(lab: Lab, status: int, title: str, contents: list[str]) -> str:
    """Assert the client's one thread is failed naming ``status`` and kept whole."""
    client = lab.current
    assert client is not None, "no client is open"
    thread = only_thread(client)
    expect(
        thread.syncStatus == "failed",
        "stop-on-permanent",
        f"after a {status} the thread is {thread.syncStatus}, not failed",
    )
    expect(
        str(status) in (thread.syncError or ""),
        "stop-on-permanent",
        f"the failed thread's reason {thread.syncError!r} does not name the {status}",
    )
    expect(
        thread.title == title and [m.content for m in thread.messages] == contents,
        "nothing-deleted",
        f"the failed thread lost data: {thread.title!r} {[m.content for m in thread.messages]}",
    )
    return thread.id


def test_unprocessable_stops_retries(lab: Lab, observer: ThreadsApi) -> None:
    """Seed 7a: a 422 (the key was used with another body) fails the thread at once."""
    lab.transport.offline = True
    client = lab.open()
    temporary = client.create_thread(title="Key collision", **THREAD)
    client.send_message(temporary, role="user", content="kept no matter what")
    client.sync_once()
    # Meanwhile the same key was used with another body (a second device, say).
    other = ThreadCreate(agent_id="other-agent", model="m", provider="p", title="Not mine")
    observer.create_thread(other, idempotency_key=temporary)
    lab.transport.offline = False

    client.sync()
    client.sync()
    keys_agree(lab, temporary)
    statuses = [s.status for s in lab.transport.thread_creates() if s.status is not None]
    expect(
        statuses == [422],
        "stop-on-permanent",
        f"the server answered the creates {statuses}; after a 422 the client must stop",
    )
    failed_with(lab, 422, "Key collision", ["kept no matter what"])


def test_unauthorized_stops_retries_then_manual_retry_syncs(lab: Lab) -> None:
    """Seed 7b: a 401 fails the thread at once; after signing in, a retry syncs it."""
    client = lab.open(token="not-a-token-the-server-knows")
    temporary = client.create_thread(title="Signed out", **THREAD)
    client.send_message(temporary, role="user", content="sent while signed out")
    client.sync()
    client.sync()
    statuses = [s.status for s in lab.transport.thread_creates()]
    expect(
        statuses == [401],
        "stop-on-permanent",
        f"the server answered the creates {statuses}; after a 401 the client must stop",
    )
    thread_id = failed_with(lab, 401, "Signed out", ["sent while signed out"])

    client = lab.open()  # signed in again
    expect(
        only_thread(client).syncStatus == "failed",
        "reload-resumes",
        "after a reload the failed thread is no longer marked failed",
    )
    client.retry(thread_id)
    client.sync()
    keys = [s.key for s in lab.transport.thread_creates()]
    expect(
        all(key == temporary for key in keys),
        "manual-retry",
        f"the manual retry sent keys {keys[1:]}, the first attempt sent {temporary}",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_retry_limit_fails_then_manual_retry_syncs(lab: Lab) -> None:
    """Offline for good: the retries stop at the limit (failed); a manual retry syncs."""
    lab.transport.offline = True
    client = lab.open()
    temporary = client.create_thread(title="Never reached the server", **THREAD)
    client.send_message(temporary, role="user", content="waiting")
    client.sync()

    attempts = lab.transport.thread_creates()
    expect(
        len(attempts) >= 2,
        "failed-after-limit",
        f"the client gave up after {len(attempts)} attempt(s) without retrying",
    )
    keys_agree(lab, temporary)
    thread = only_thread(client)
    expect(
        thread.syncStatus == "failed" and bool(thread.syncError),
        "failed-after-limit",
        f"after the retry limit the thread is {thread.syncStatus} with reason {thread.syncError!r}",
    )
    expect(
        [m.content for m in thread.messages] == ["waiting"],
        "nothing-deleted",
        "the failed thread lost its message",
    )

    lab.transport.offline = False
    client.retry(thread.id)
    client.sync()
    keys = {s.key for s in lab.transport.thread_creates()}
    others = sorted(str(key) for key in keys - {temporary})
    expect(
        keys == {temporary},
        "manual-retry",
        f"the manual retry sent keys {others}, the first sent {temporary}",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def pending_after_one_attempt(lab: Lab, status: int) -> str:
    """Assert the client's one thread is still pending (not failed) after a ``status``."""
    client = lab.current
    assert client is not None, "no client is open"
    thread = only_thread(client)
    expect(
        thread.syncStatus == "pending",
        "retry-transient",
        f"after a {status} the thread is {thread.syncStatus} ({thread.syncError!r}), "
        "not pending: the same request may succeed later",
    )
    return thread.id


def test_server_error_is_retried_with_the_same_key(lab: Lab) -> None:
    """A 503 (with Retry-After) keeps the thread pending; the retry's key makes one thread."""
    lab.transport.answer(503, "POST", THREAD_CREATE, retry_after=1)
    client = lab.open()
    temporary = client.create_thread(title="The server was busy", **THREAD)
    client.send_message(temporary, role="user", content="sent while the server was busy")
    client.sync_once()
    pending_after_one_attempt(lab, 503)
    expect(not lab.server().threads, "no-orphans", "the lab's 503 reached the server")

    client.sync()
    statuses = [s.status for s in lab.transport.thread_creates()]
    expect(
        statuses == [503, 201],
        "retry-transient",
        f"the creates were answered {statuses}; after one 503 the retry should have succeeded",
    )
    keys_agree(lab, temporary)
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_in_flight_conflict_is_retried_with_the_same_key(lab: Lab) -> None:
    """A 409 (the same key still in flight) is retried, for a thread and for a message."""
    lab.transport.answer(409, "POST", THREAD_CREATE, times=2)
    lab.transport.answer(409, "POST", MESSAGE_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="Still in flight", **THREAD)
    message_id = client.send_message(temporary, role="user", content="one copy only")
    client.sync_once()
    pending_after_one_attempt(lab, 409)

    client.sync()
    statuses = [s.status for s in lab.transport.thread_creates()]
    expect(
        statuses == [409, 409, 201],
        "retry-transient",
        f"the creates were answered {statuses}; a 409 must be retried until it succeeds",
    )
    keys_agree(lab, temporary)
    sends = lab.transport.message_creates()
    expect(
        [s.status for s in sends] == [409, 201],
        "retry-transient",
        f"the message creates were answered {[s.status for s in sends]}; expected [409, 201]",
    )
    for attempt in sends:
        expect(
            attempt.key == message_id,
            "message-key",
            f"a message create sent key {attempt.key}, the message's id is {message_id}",
        )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_slow_answers_make_no_duplicate(lab: Lab) -> None:
    """A create and a message answered late are each made once, with their own keys."""
    lab.transport.delay(0.5, "POST", THREAD_CREATE)
    lab.transport.delay(0.5, "POST", MESSAGE_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="A slow network", **THREAD)
    message_id = client.send_message(temporary, role="user", content="patience")
    client.sync()

    keys_agree(lab, temporary)
    keys = {s.key for s in lab.transport.message_creates()}
    expect(
        keys == {message_id},
        "message-key",
        f"the message creates sent keys {sorted(str(k) for k in keys)}, its id is {message_id}",
    )
    [thread] = lab.check_synced(client, temporary_ids={temporary}, creations=1)
    expect(
        [m.content for m in thread.messages] == ["patience"],
        "no-duplicates",
        f"a slow message ended as {[m.content for m in thread.messages]}",
    )
