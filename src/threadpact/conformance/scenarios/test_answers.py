"""What each kind of answer does to a change: 5xx, 409 and 429 keep it pending and
retried with its key; 400, 401 and 422 fail it with the reason, and only a manual
retry sends it again."""

from threadpact.client.api import ThreadsApi
from threadpact.conformance.faults import MESSAGE_CREATE, THREAD_CREATE
from threadpact.conformance.lab import Lab, expect, only_thread
from threadpact.conformance.scenarios.common import (
    THREAD,
    contents,
    failed_with,
    keys_agree,
    keys_of,
    pending_after,
    statuses_of,
)
from threadpact.models import ThreadCreate

RETRY_AFTER = 3600
"""The Retry-After of the lab's 429, in seconds."""


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
    statuses = [s for s in statuses_of(lab.transport.thread_creates()) if s is not None]
    expect(
        statuses == [422],
        "stop-on-permanent",
        f"the server answered the creates {statuses}; after a 422 the client must stop",
    )
    failed_with(lab, 422, "Key collision", ["kept no matter what"])


def test_unauthorized_stops_retries_then_manual_retry_syncs(lab: Lab) -> None:
    """Seed 7b: a 401 fails the thread at once; after signing in, a retry sends the same key."""
    client = lab.open(token="not-a-token-the-server-knows")
    temporary = client.create_thread(title="Signed out", **THREAD)
    client.send_message(temporary, role="user", content="sent while signed out")
    client.sync()
    client.sync()
    statuses = statuses_of(lab.transport.thread_creates())
    expect(
        statuses == [401],
        "answer-401",
        f"the server answered the creates {statuses}; after a 401 the client must stop",
    )
    thread_id = failed_with(lab, 401, "Signed out", ["sent while signed out"], rule="answer-401")

    client = lab.open()  # signed in again
    expect(
        only_thread(client).syncStatus == "failed",
        "reload-resumes",
        "after a reload the failed thread is no longer marked failed",
    )
    expect(
        len(lab.transport.thread_creates()) == 1,
        "answer-401",
        "the create answered 401 was sent again without a manual retry",
    )
    client.retry(thread_id)
    client.sync()
    keys = keys_of(lab.transport.thread_creates())
    expect(
        len(keys) >= 2 and all(key == temporary for key in keys),
        "answer-401",
        f"after signing in, the manual retry sent keys {keys[1:]}; the first attempt sent "
        f"{temporary}",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_server_error_is_retried_with_the_same_key(lab: Lab) -> None:
    """A 503 (with Retry-After) and a 500 keep the change pending; the retries' keys make
    one thread and one message."""
    lab.transport.answer(503, "POST", THREAD_CREATE, retry_after=1)
    lab.transport.answer(500, "POST", MESSAGE_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="The server was busy", **THREAD)
    message_id = client.send_message(temporary, role="user", content="sent while it was busy")
    client.sync_once()
    pending_after(lab, 503, "answer-5xx")
    expect(not lab.server().threads, "no-orphans", "the lab's 503 reached the server")

    client.sync()
    statuses = statuses_of(lab.transport.thread_creates())
    expect(
        statuses == [503, 201],
        "answer-5xx",
        f"the creates were answered {statuses}; after one 503 the retry should have succeeded",
    )
    keys_agree(lab, temporary, rule="answer-5xx")
    sends = lab.transport.message_creates()
    expect(
        statuses_of(sends) == [500, 201],
        "answer-5xx",
        f"the message creates were answered {statuses_of(sends)}; after one 500 the retry "
        "should have succeeded",
    )
    expect(
        set(keys_of(sends)) == {message_id},
        "answer-5xx",
        f"the message's retries sent keys {keys_of(sends)}, its id is {message_id}",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_in_flight_conflict_is_retried_with_the_same_key(lab: Lab) -> None:
    """A 409 (the same key still in flight) is retried, for a thread and for a message."""
    lab.transport.answer(409, "POST", THREAD_CREATE, times=2)
    lab.transport.answer(409, "POST", MESSAGE_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="Still in flight", **THREAD)
    message_id = client.send_message(temporary, role="user", content="one copy only")
    client.sync_once()
    pending_after(lab, 409, "answer-409")

    client.sync()
    statuses = statuses_of(lab.transport.thread_creates())
    expect(
        statuses == [409, 409, 201],
        "answer-409",
        f"the creates were answered {statuses}; a 409 must be retried until it succeeds",
    )
    keys_agree(lab, temporary, rule="answer-409")
    sends = lab.transport.message_creates()
    expect(
        statuses_of(sends) == [409, 201],
        "answer-409",
        f"the message creates were answered {statuses_of(sends)}; expected [409, 201]",
    )
    for sent in sends:
        expect(
            sent.key == message_id,
            "answer-409",
            f"a message create sent key {sent.key}, the message's id is {message_id}",
        )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_too_many_requests_waits_for_retry_after(lab: Lab) -> None:
    """A 429 with Retry-After: 3600 is not retried a minute later, only after the hour,
    and then with the same key."""
    lab.transport.answer(429, "POST", THREAD_CREATE, retry_after=RETRY_AFTER)
    client = lab.open()
    temporary = client.create_thread(title="Slow down", **THREAD)
    client.send_message(temporary, role="user", content="after the wait")
    client.sync_once()
    expect(
        statuses_of(lab.transport.thread_creates()) == [429],
        "answer-429",
        f"the creates were answered {statuses_of(lab.transport.thread_creates())}; expected "
        "one 429",
    )
    pending_after(lab, 429, "answer-429")

    client.advance(60)
    client.sync_once()
    creates = lab.transport.thread_creates()
    expect(
        len(creates) == 1,
        "answer-429",
        f"60 s after a 429 with Retry-After: {RETRY_AFTER} the create was sent again "
        f"({len(creates)} creates answered {statuses_of(creates)})",
    )
    client.online()  # back online: everything is due, except what the server holds off
    creates = lab.transport.thread_creates()
    expect(
        len(creates) == 1,
        "answer-429",
        f"online() 60 s after a 429 with Retry-After: {RETRY_AFTER} sent the create again "
        f"({len(creates)} creates answered {statuses_of(creates)})",
    )
    pending_after(lab, 429, "answer-429")

    client.advance(RETRY_AFTER)
    client.sync_once()
    creates = lab.transport.thread_creates()
    expect(
        statuses_of(creates) == [429, 201],
        "answer-429",
        f"once the Retry-After had passed, one sync_once left the creates answered "
        f"{statuses_of(creates)}; expected [429, 201]",
    )
    keys_agree(lab, temporary, rule="answer-429")
    client.sync()
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_a_failed_message_fails_its_thread(lab: Lab) -> None:
    """A message answered 422 makes its thread failed, naming the 422; the message is kept,
    and a manual retry sends it again with its key."""
    client = lab.open()
    temporary = client.create_thread(title="One message refused", **THREAD)
    client.send_message(temporary, role="user", content="accepted")
    client.sync()
    lab.transport.answer(422, "POST", MESSAGE_CREATE)
    refused = client.send_message(temporary, role="user", content="refused once")
    client.sync()
    client.sync()

    sends = [s for s in lab.transport.message_creates() if s.key == refused]
    expect(
        statuses_of(sends) == [422],
        "stop-on-permanent",
        f"the message answered 422 was sent {len(sends)} time(s), answered {statuses_of(sends)}",
    )
    thread = only_thread(client)
    expect(
        thread.syncStatus == "failed",
        "status-reflects-messages",
        f"after a 422 to one of its messages the thread is {thread.syncStatus} "
        f"({thread.syncError!r}), not failed",
    )
    expect(
        "422" in (thread.syncError or ""),
        "status-reflects-messages",
        f"the thread failed by its message's 422 gives the reason {thread.syncError!r}, "
        "which does not name the 422",
    )
    expect(
        contents(thread) == ["accepted", "refused once"],
        "nothing-deleted",
        f"after the 422 the thread's messages are {contents(thread)}",
    )

    client.retry(thread.id)
    client.sync()
    sends = [s for s in lab.transport.message_creates() if s.key == refused]
    expect(
        statuses_of(sends) == [422, 201],
        "manual-retry",
        f"after a manual retry the refused message's creates (key {refused}) were answered "
        f"{statuses_of(sends)}",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)
