"""Every operation of the spec against a real provider process, on SQLite and PostgreSQL."""

import uuid

import httpx
import yaml

from tests.fixtures.processes import ROOT
from threadpact.conformance.processes import Server

BODY = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai", "title": "Refund"}


def create(
    client: httpx.Client, key: str | None = None, body: dict[str, object] | None = None
) -> httpx.Response:
    return client.post(
        "/threads", json=body or BODY, headers={"Idempotency-Key": key or str(uuid.uuid4())}
    )


def test_create_get_update_delete(client: httpx.Client) -> None:
    created = create(client)
    assert created.status_code == 201
    thread = created.json()
    uuid.UUID(thread["id"])
    assert thread["title"] == "Refund"
    assert thread["created_at"].endswith("Z")
    assert thread["created_at"] == thread["updated_at"]
    assert created.headers["Location"] == f"/threads/{thread['id']}"
    assert "Idempotent-Replayed" not in created.headers

    read = client.get(created.headers["Location"])
    assert read.status_code == 200
    assert read.json() == thread
    etag = read.headers["ETag"]

    changed = client.patch(
        f"/threads/{thread['id']}", json={"title": "Renamed"}, headers={"If-Match": etag}
    )
    assert changed.status_code == 200
    assert changed.json()["title"] == "Renamed"
    assert changed.headers["ETag"] != etag
    assert changed.json()["updated_at"] >= thread["updated_at"]

    stale = client.patch(
        f"/threads/{thread['id']}", json={"title": "Lost"}, headers={"If-Match": etag}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert client.get(f"/threads/{thread['id']}").json()["title"] == "Renamed"

    unconditional = client.patch(f"/threads/{thread['id']}", json={"title": "Third"})
    assert unconditional.status_code == 200

    assert client.delete(f"/threads/{thread['id']}").status_code == 204
    for method in ("GET", "DELETE"):
        assert client.request(method, f"/threads/{thread['id']}").status_code == 404
    assert client.patch(f"/threads/{thread['id']}", json={"title": "x"}).status_code == 404
    assert client.get(f"/threads/{thread['id']}/messages").status_code == 404


def test_title_defaults_when_omitted(client: httpx.Client) -> None:
    body = {key: value for key, value in BODY.items() if key != "title"}
    assert create(client, body=body).json()["title"] == "New thread"


def test_list_is_newest_first_and_pages_with_cursor(
    client: httpx.Client, other_client: httpx.Client
) -> None:
    made = [create(client).json()["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = client.get("/threads", params=params)
        assert page.status_code == 200
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        pages += 1
        if cursor is None:
            break
    assert seen == list(reversed(made))
    assert pages == 3
    assert other_client.get("/threads").json() == {"items": [], "next_cursor": None}


def test_messages_are_idempotent_and_oldest_first(client: httpx.Client) -> None:
    thread_id = create(client).json()["id"]
    ids = []
    for index in range(3):
        key = f"msg-{index}"
        body = {"role": "user", "content": f"hello {index}"}
        first = client.post(
            f"/threads/{thread_id}/messages", json=body, headers={"Idempotency-Key": key}
        )
        again = client.post(
            f"/threads/{thread_id}/messages", json=body, headers={"Idempotency-Key": key}
        )
        assert first.status_code == again.status_code == 201
        assert first.content == again.content
        assert again.headers["Idempotent-Replayed"] == "true"
        message = first.json()
        assert message["thread_id"] == thread_id
        assert first.headers["Location"] == f"/threads/{thread_id}/messages/{message['id']}"
        assert client.get(first.headers["Location"]).json() == message
        ids.append(message["id"])
    listed = client.get(f"/threads/{thread_id}/messages", params={"limit": 2})
    second = client.get(
        f"/threads/{thread_id}/messages", params={"cursor": listed.json()["next_cursor"]}
    )
    assert [m["id"] for m in listed.json()["items"] + second.json()["items"]] == ids
    assert second.json()["next_cursor"] is None
    missing = client.post(f"/threads/{thread_id}/messages", json={"role": "user", "content": "x"})
    assert missing.status_code == 400


def test_serves_its_spec_file(shared_provider: Server) -> None:
    response = httpx.get(shared_provider.base_url + "/openapi.yaml")
    assert response.status_code == 200
    assert response.content == (ROOT / "openapi.yaml").read_bytes()
    assert yaml.safe_load(response.text)["info"]["title"] == "threadpact threads API"
