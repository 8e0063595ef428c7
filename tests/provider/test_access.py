"""Authentication and ownership: 401 without a known token, 404 for others' threads."""

import uuid

import httpx
import pytest

from threadpact.conformance.processes import Server

BODY = {"agent_id": "a", "model": "m", "provider": "p"}


@pytest.mark.parametrize(
    "authorization", [None, "Bearer nope", "Basic dG9rZW4tYWxpY2U6", "Bearer", "token-alice"]
)
def test_unknown_or_missing_token_is_401(
    shared_provider: Server, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with httpx.Client(base_url=shared_provider.base_url, headers=headers) as client:
        for method, path in [
            ("GET", "/threads"),
            ("POST", "/threads"),
            ("GET", f"/threads/{uuid.uuid4()}"),
        ]:
            response = client.request(method, path, json=BODY, headers={"Idempotency-Key": "k"})
            assert response.status_code == 401, (method, path)
            assert response.headers["WWW-Authenticate"].startswith("Bearer")
            assert response.headers["content-type"] == "application/problem+json"


def test_someone_elses_thread_looks_missing(
    client: httpx.Client, other_client: httpx.Client
) -> None:
    alice, bob = client, other_client
    thread_id = alice.post("/threads", json=BODY, headers={"Idempotency-Key": "a"}).json()["id"]
    message = alice.post(
        f"/threads/{thread_id}/messages",
        json={"role": "user", "content": "private"},
        headers={"Idempotency-Key": "m"},
    ).json()
    missing = str(uuid.uuid4())

    def probe(client: httpx.Client, target: str) -> list[tuple[int, dict[str, object]]]:
        calls = [
            client.get(f"/threads/{target}"),
            client.patch(f"/threads/{target}", json={"title": "hijack"}),
            client.delete(f"/threads/{target}"),
            client.get(f"/threads/{target}/messages"),
            client.post(
                f"/threads/{target}/messages",
                json={"role": "user", "content": "x"},
                headers={"Idempotency-Key": "b"},
            ),
            client.get(f"/threads/{target}/messages/{message['id']}"),
        ]
        answers = []
        for response in calls:
            body = response.json()
            body.pop("instance", None)
            answers.append((response.status_code, body))
        return answers

    theirs = probe(bob, thread_id)
    nothing = probe(bob, missing)
    assert [status for status, _ in theirs] == [404] * 6
    # Exactly the answer a missing thread gets: no existence leak.
    assert theirs == nothing
    # And alice's thread is untouched.
    read = alice.get(f"/threads/{thread_id}")
    assert read.status_code == 200
    assert read.json()["title"] == "New thread"
    assert [m["id"] for m in alice.get(f"/threads/{thread_id}/messages").json()["items"]] == [
        message["id"]
    ]
