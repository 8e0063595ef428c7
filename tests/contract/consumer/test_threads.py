"""The reference client against the pact mock server: each call it makes, and what it holds."""

import json
from typing import Any

from pact import Pact, match

from tests.contract.consumer.conftest import EngineFactory
from tests.contract.consumer.interactions import (
    AUTH,
    JSON,
    MESSAGE_ID,
    NEW_THREAD,
    PROBLEM,
    THREAD_ID,
    authenticated,
    key_header,
    message_body,
    message_location,
    problem,
    thread_body,
    thread_location,
    thread_path,
)
from threadpact.client.sync import SyncEngine
from threadpact.names import (
    STATE_KEY_USED,
    STATE_NO_THREADS,
    STATE_THREAD_EXISTS,
    STATE_THREAD_WITH_MESSAGES,
)

CLIENT_KEY = "7d3c9a52-4f0e-4a43-9a8a-1d52b1c2a0f1"
REPLAYED_KEY = "2f1d6c3e-9b8a-4e7d-8c6b-5a4f3e2d1c0b"
REUSED_KEY = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def places(document: Any, needle: str, at: str = "") -> set[str]:
    """JSON pointers of every value (or key) equal to ``needle`` in ``document``."""
    found: set[str] = set()
    if isinstance(document, dict):
        for key, value in document.items():
            if key == needle:
                found.add(f"{at} (key)" if at else "/ (key)")
            found |= places(value, needle, f"{at}/{key}")
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found |= places(value, needle, f"{at}/{index}")
    elif document == needle:
        found.add(at)
    return found


def declare_create(pact: Pact) -> None:
    """A first create: 201, the server's thread, Location naming its ID."""
    (
        pact.upon_receiving("a request to create a thread")
        .given(*authenticated())
        .with_request("POST", "/threads")
        .with_header("Authorization", AUTH)
        .with_header("Idempotency-Key", key_header(CLIENT_KEY))
        .with_body(NEW_THREAD, JSON)
        .will_respond_with(201)
        .with_header("Location", thread_location())
        .with_body(thread_body(), JSON)
    )


def create_and_sync(engine_for: EngineFactory, url: str) -> tuple[SyncEngine, str]:
    engine = engine_for(url)
    temporary = engine.create_thread(**NEW_THREAD).id
    engine.drain()
    return engine, temporary


def test_create_swaps_the_temporary_id_for_the_servers(
    pact: Pact, engine_for: EngineFactory
) -> None:
    declare_create(pact)
    with pact.serve() as mock:
        engine = engine_for(str(mock.url))
        thread = engine.create_thread(**NEW_THREAD)
        assert thread.syncStatus == "pending"
        engine.drain()
    state = engine.store.snapshot()
    assert [t.id for t in state.threads] == [THREAD_ID]
    synced = state.threads[0]
    assert synced.syncStatus == "synced"
    assert synced.aliases == [thread.id]
    assert state.currentThreadId == THREAD_ID
    assert state.outbox == []
    # No trace of the temporary ID but the alias (on the thread and in the alias map).
    assert places(json.loads(engine.store.path.read_text()), thread.id) == {
        "/threads/0/aliases/0",
        "/aliases (key)",
    }
    assert engine.thread(thread.id).id == THREAD_ID  # an old link still resolves


def test_a_replayed_create_yields_one_thread(pact: Pact, engine_for: EngineFactory) -> None:
    (
        pact.upon_receiving("a replayed request to create a thread")
        .given(*authenticated())
        .given(STATE_KEY_USED, {"key": REPLAYED_KEY, **NEW_THREAD})
        .with_request("POST", "/threads")
        .with_header("Authorization", AUTH)
        .with_header("Idempotency-Key", key_header(REPLAYED_KEY))
        .with_body(NEW_THREAD, JSON)
        .will_respond_with(201)
        .with_header("Idempotent-Replayed", "true")
        .with_header("Location", thread_location())
        .with_body(thread_body(state_id="${thread_id}"), JSON)
    )
    with pact.serve() as mock:
        engine, temporary = create_and_sync(engine_for, str(mock.url))
    threads = engine.threads()
    assert len(threads) == 1
    assert threads[0].id == THREAD_ID
    assert threads[0].syncStatus == "synced"
    assert threads[0].aliases == [temporary]


def test_a_key_reused_with_another_body_fails_the_thread(
    pact: Pact, engine_for: EngineFactory
) -> None:
    other = {**NEW_THREAD, "title": "Another request entirely"}
    (
        pact.upon_receiving("a request to create a thread with a key used for another body")
        .given(*authenticated())
        .given(STATE_KEY_USED, {"key": REUSED_KEY, **other})
        .with_request("POST", "/threads")
        .with_header("Authorization", AUTH)
        .with_header("Idempotency-Key", key_header(REUSED_KEY))
        .with_body(NEW_THREAD, JSON)
        .will_respond_with(422)
        .with_header("Content-Type", PROBLEM)
        .with_body(problem(422, "Idempotency-Key reused with a different request"), PROBLEM)
    )
    with pact.serve() as mock:
        engine, temporary = create_and_sync(engine_for, str(mock.url))
    [thread] = engine.threads()
    assert thread.id == temporary  # nothing deleted, nothing swapped
    assert thread.syncStatus == "failed"
    assert thread.syncError is not None
    assert "422" in thread.syncError
    assert [entry.state for entry in engine.outbox()] == ["failed"]


def test_a_rejected_token_fails_the_thread(pact: Pact, engine_for: EngineFactory) -> None:
    (
        pact.upon_receiving("a request to create a thread with a token the provider rejects")
        .with_request("POST", "/threads")
        .with_header("Authorization", "Bearer revoked-token")
        .with_header("Idempotency-Key", key_header(CLIENT_KEY))
        .with_body(NEW_THREAD, JSON)
        .will_respond_with(401)
        .with_header("WWW-Authenticate", match.regex("Bearer", regex=r"^Bearer\b.*"))
        .with_header("Content-Type", PROBLEM)
        .with_body(problem(401, "Unauthorized"), PROBLEM)
    )
    with pact.serve() as mock:
        engine = engine_for(str(mock.url), token="revoked-token")
        temporary = engine.create_thread(**NEW_THREAD).id
        report = engine.drain()
    [thread] = engine.threads()
    assert thread.id == temporary
    assert thread.syncStatus == "failed"
    assert thread.syncError is not None
    assert "401" in thread.syncError
    assert report.failed == 1  # one attempt: retrying cannot fix a bad token


def declare_message(pact: Pact, content: str) -> None:
    (
        pact.upon_receiving("a request to add a message to a thread")
        .given(*authenticated())
        .given(STATE_THREAD_EXISTS, {"title": NEW_THREAD["title"]})
        .with_request("POST", thread_path("/messages"))
        .with_header("Authorization", AUTH)
        .with_header("Idempotency-Key", key_header("c0a80101-0000-4000-8000-000000000001"))
        .with_body({"role": "user", "content": content}, JSON)
        .will_respond_with(201)
        .with_header("Location", message_location())
        .with_body(message_body(content, state_id="${thread_id}"), JSON)
    )


def test_a_message_typed_during_the_create_is_posted_after_the_swap(
    pact: Pact, engine_for: EngineFactory
) -> None:
    content = "Where is my refund?"
    declare_create(pact)
    declare_message(pact, content)
    with pact.serve() as mock:
        engine = engine_for(str(mock.url))
        temporary = engine.create_thread(**NEW_THREAD).id
        typed = engine.send_message(temporary, content)
        engine.drain()
    [thread] = engine.threads()
    assert thread.id == THREAD_ID
    [message] = thread.messages
    assert message.id == MESSAGE_ID
    assert message.clientId == typed.id
    assert message.syncStatus == "synced"
    assert engine.outbox() == []


def test_a_rename_reaches_the_server(pact: Pact, engine_for: EngineFactory) -> None:
    declare_create(pact)
    (
        pact.upon_receiving("a request to rename a thread")
        .given(*authenticated())
        .given(STATE_THREAD_EXISTS, {"title": NEW_THREAD["title"]})
        .with_request("PATCH", thread_path())
        .with_header("Authorization", AUTH)
        .with_body({"title": "Refund approved"}, JSON)
        .will_respond_with(200)
        .with_header("ETag", match.regex('"2"', regex=r'^(W/)?".+"$'))
        .with_body(thread_body("Refund approved", state_id="${thread_id}"), JSON)
    )
    with pact.serve() as mock:
        engine, _ = create_and_sync(engine_for, str(mock.url))
        engine.rename_thread(THREAD_ID, "Refund approved")
        engine.drain()
    [thread] = engine.threads()
    assert thread.title == "Refund approved"
    assert thread.syncStatus == "synced"
    assert engine.outbox() == []


def test_a_delete_reaches_the_server(pact: Pact, engine_for: EngineFactory) -> None:
    declare_create(pact)
    (
        pact.upon_receiving("a request to delete a thread")
        .given(*authenticated())
        .given(STATE_THREAD_EXISTS, {"title": NEW_THREAD["title"]})
        .with_request("DELETE", thread_path())
        .with_header("Authorization", AUTH)
        .will_respond_with(204)
    )
    with pact.serve() as mock:
        engine, _ = create_and_sync(engine_for, str(mock.url))
        engine.delete_thread(THREAD_ID)
        engine.drain()
    assert engine.threads() == []
    assert engine.outbox() == []


def test_a_message_to_a_vanished_thread_fails_and_is_kept(
    pact: Pact, engine_for: EngineFactory
) -> None:
    declare_create(pact)
    (
        pact.upon_receiving("a request to add a message to a thread that does not exist")
        .given(*authenticated())
        .given(STATE_NO_THREADS)
        .with_request("POST", f"/threads/{THREAD_ID}/messages")
        .with_header("Authorization", AUTH)
        .with_header("Idempotency-Key", key_header("c0a80101-0000-4000-8000-000000000002"))
        .with_body({"role": "user", "content": "Anyone there?"}, JSON)
        .will_respond_with(404)
        .with_header("Content-Type", PROBLEM)
        .with_body(problem(404, "Not found"), PROBLEM)
    )
    with pact.serve() as mock:
        engine, _ = create_and_sync(engine_for, str(mock.url))
        engine.send_message(THREAD_ID, "Anyone there?")
        engine.drain()
    [thread] = engine.threads()
    [message] = thread.messages
    assert message.content == "Anyone there?"
    assert message.syncStatus == "failed"
    assert thread.id == THREAD_ID  # the thread stays, and so does the message
    [entry] = engine.outbox()
    assert entry.state == "failed"
    assert entry.lastStatus == 404
    assert entry.messageId == message.id


def test_pull_brings_in_threads_made_elsewhere(pact: Pact, engine_for: EngineFactory) -> None:
    (
        pact.upon_receiving("a request to list the caller's threads")
        .given(*authenticated())
        .given(STATE_THREAD_WITH_MESSAGES, {"count": 2})
        .with_request("GET", "/threads")
        .with_query_parameter("limit", "100")
        .with_header("Authorization", AUTH)
        .will_respond_with(200)
        .with_body({"items": match.each_like(thread_body()), "next_cursor": None}, JSON)
    )
    (
        pact.upon_receiving("a request to read a thread")
        .given(*authenticated())
        .given(STATE_THREAD_WITH_MESSAGES, {"count": 2})
        .with_request("GET", thread_path())
        .with_header("Authorization", AUTH)
        .will_respond_with(200)
        .with_header("ETag", match.regex('"1"', regex=r'^(W/)?".+"$'))
        .with_body(thread_body(state_id="${thread_id}"), JSON)
    )
    (
        pact.upon_receiving("a request to list a thread's messages")
        .given(*authenticated())
        .given(STATE_THREAD_WITH_MESSAGES, {"count": 2})
        .with_request("GET", thread_path("/messages"))
        .with_query_parameter("limit", "100")
        .with_header("Authorization", AUTH)
        .will_respond_with(200)
        .with_body(
            {
                "items": match.each_like(message_body("message 1", state_id="${thread_id}")),
                "next_cursor": None,
            },
            JSON,
        )
    )
    with pact.serve() as mock:
        engine = engine_for(str(mock.url))
        report = engine.pull()
    assert report.threads == 1
    [thread] = engine.threads()
    assert thread.id == THREAD_ID
    assert thread.syncStatus == "synced"
    assert [m.id for m in thread.messages] == [MESSAGE_ID]
