"""The test-mode provider-state endpoint: off by default, and each state does what it says."""

from pathlib import Path

import httpx

from tests.fixtures.processes import start_provider
from threadpact.conformance.databases import sqlite_url
from threadpact.conformance.processes import Server
from threadpact.names import (
    STATE_AUTHENTICATED,
    STATE_KEY_USED,
    STATE_NO_THREADS,
    STATE_THREAD_EXISTS,
    STATE_THREAD_WITH_MESSAGES,
    STATES_PATH,
)


def setup(server: Server, state: str, **params: object) -> httpx.Response:
    body = {"state": state, "params": params, "action": "setup"}
    return httpx.post(server.base_url + STATES_PATH, json=body)


def test_off_unless_asked_for(tmp_path: Path) -> None:
    server = start_provider(sqlite_url(tmp_path / "t.db"), tmp_path / "log")
    try:
        answer = setup(server, STATE_THREAD_EXISTS)
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
    finally:
        server.stop()


def test_states_set_up_what_they_name(tmp_path: Path) -> None:
    server = start_provider(sqlite_url(tmp_path / "t.db"), tmp_path / "log", "--test-states")
    try:
        granted = setup(server, STATE_AUTHENTICATED, token="pact-token")
        assert granted.json() == {"token": "pact-token"}
        pact_client = httpx.Client(
            base_url=server.base_url, headers={"Authorization": "Bearer pact-token"}
        )
        with pact_client, server.client("alice") as alice:
            made = setup(server, STATE_THREAD_EXISTS, title="From a state").json()
            thread = pact_client.get(f"/threads/{made['thread_id']}").json()
            assert thread["title"] == "From a state"
            # States create data for the test principal, the first configured token's.
            assert alice.get(f"/threads/{made['thread_id']}").status_code == 200

            with_messages = setup(server, STATE_THREAD_WITH_MESSAGES, count=3).json()
            listed = alice.get(f"/threads/{with_messages['thread_id']}/messages").json()["items"]
            assert [m["content"] for m in listed] == ["message 1", "message 2", "message 3"]
            assert listed[0]["id"] == with_messages["message_id"]

            body = {"agent_id": "a", "model": "m", "provider": "p", "title": "keyed"}
            used = setup(server, STATE_KEY_USED, key="k-1", **body).json()
            replay = alice.post("/threads", json=body, headers={"Idempotency-Key": "k-1"})
            assert replay.headers["Idempotent-Replayed"] == "true"
            assert replay.json()["id"] == used["thread_id"]

            assert setup(server, STATE_NO_THREADS).json() == {}
            assert alice.get("/threads").json()["items"] == []
            fresh = alice.post("/threads", json=body, headers={"Idempotency-Key": "k-1"})
            assert "Idempotent-Replayed" not in fresh.headers

            unknown = setup(server, "the moon is made of cheese")
            assert unknown.status_code == 400
            teardown = httpx.post(
                server.base_url + STATES_PATH,
                json={"state": STATE_THREAD_EXISTS, "params": {}, "action": "teardown"},
            )
            assert teardown.json() == {}
    finally:
        server.stop()
