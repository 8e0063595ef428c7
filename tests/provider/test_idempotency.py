"""Idempotent creates: replay, mismatch, missing key, principal scope, restarts.

How long a key lives (as long as its resource, then the retention window) is
test_key_retention.py's.
"""

import uuid
from pathlib import Path

import httpx
import pytest

from tests.fixtures.processes import start_provider

BODY = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai", "title": "Refund"}


def post(client: httpx.Client, key: str | None, body: object = None) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/threads", json=BODY if body is None else body, headers=headers)


def thread_count(client: httpx.Client) -> int:
    return len(client.get("/threads", params={"limit": 100}).json()["items"])


def test_replay_is_byte_for_byte_and_marked(client: httpx.Client) -> None:
    first = post(client, "key-1")
    # Same JSON in another key order and spacing is the same request.
    again = client.post(
        "/threads",
        content=b'{ "title":"Refund", "provider":"openai","model":"gpt-4o",'
        b' "agent_id":"support-bot"}',
        headers={"Idempotency-Key": "key-1", "Content-Type": "application/json"},
    )
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert "Idempotent-Replayed" not in first.headers
    assert thread_count(client) == 1


def test_same_key_other_body_is_422_and_creates_nothing(client: httpx.Client) -> None:
    original = post(client, "key-2")
    other = post(client, "key-2", {**BODY, "title": "Something else"})
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    problem = other.json()
    assert problem["type"] == "urn:threadpact:problem:idempotency-key-reused"
    assert original.json()["id"] not in other.text
    assert thread_count(client) == 1


@pytest.mark.parametrize(
    "key", [None, b"", b"x" * 256, b"tab\there", "é".encode(), b"\xff\xfe", b"a\x7fb"]
)
def test_missing_or_malformed_key_is_400(client: httpx.Client, key: bytes | None) -> None:
    headers = {"Idempotency-Key": key} if key is not None else {}
    response = client.post("/threads", json=BODY, headers=headers)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 400
    assert thread_count(client) == 0


def test_keys_are_scoped_to_the_principal(client: httpx.Client, other_client: httpx.Client) -> None:
    alice, bob = client, other_client
    mine = post(alice, "shared-key")
    theirs = post(bob, "shared-key")
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs.headers
    assert mine.json()["id"] != theirs.json()["id"]
    # Even a different body is fine for bob: the key space is his own.
    assert post(bob, "shared-key-2", {**BODY, "title": "b"}).status_code == 201
    assert post(alice, "shared-key-2").status_code == 201
    assert bob.get(mine.headers["Location"]).status_code == 404
    assert thread_count(alice) == 2
    assert thread_count(bob) == 2


def test_replay_survives_a_restart(tmp_path: Path, database_url: str) -> None:
    body = {**BODY, "title": str(uuid.uuid4())}
    server = start_provider(database_url, tmp_path / "one.log")
    try:
        with server.client("alice") as client:
            first = post(client, "restart", body)
    finally:
        server.stop()
    server = start_provider(database_url, tmp_path / "two.log")
    try:
        with server.client("alice") as client:
            again = post(client, "restart", body)
            assert again.content == first.content
            assert again.headers["Idempotent-Replayed"] == "true"
    finally:
        server.stop()
