"""No input makes a 5xx: every malformed request is a 4xx problem+json and changes nothing."""

import json
import socket
import uuid
from urllib.parse import urlsplit

import httpx
import pytest

from threadpact.conformance.processes import Server

GOOD = b'{"agent_id":"a","model":"m","provider":"p"}'
JSON = "application/json"

CREATE_BODIES = {
    "malformed json": (b'{"agent_id": "a",', JSON, 400),
    "empty body": (b"", JSON, 400),
    "json array": (b"[]", JSON, 422),
    "json string": (b'"hello"', JSON, 422),
    "null": (b"null", JSON, 422),
    "wrong types": (b'{"agent_id": 1, "model": true, "provider": null}', JSON, 422),
    "unknown field": (b'{"agent_id":"a","model":"m","provider":"p","colour":"red"}', JSON, 422),
    "client-supplied id": (
        b'{"id":"6f7c3a52-4f0e-4a43-9a8a-1d52b1c2a0f1","agent_id":"a","model":"m","provider":"p"}',
        JSON,
        422,
    ),
    "missing required": (b'{"agent_id":"a"}', JSON, 422),
    "huge title": (
        b'{"agent_id":"a","model":"m","provider":"p","title":"' + b"x" * 201 + b'"}',
        JSON,
        422,
    ),
    "nul in title": (b'{"agent_id":"a","model":"m","provider":"p","title":"a\\u0000b"}', JSON, 422),
    "control char in agent": (b'{"agent_id":"a\\u0007","model":"m","provider":"p"}', JSON, 422),
    "lone surrogate": (b'{"agent_id":"\\ud800","model":"m","provider":"p"}', JSON, 400),
    "invalid utf-8": (b'{"agent_id":"\xff\xfe","model":"m","provider":"p"}', JSON, 400),
    "deep nesting": (b"[" * 100_000 + b"]" * 100_000, JSON, 400),
    "oversized body": (b'{"agent_id":"' + b"a" * 600_000 + b'"}', JSON, 413),
    "form encoded": (b"agent_id=a&model=m&provider=p", "application/x-www-form-urlencoded", 415),
    "text plain": (GOOD, "text/plain", 415),
}


def assert_problem(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == status
    assert {"type", "title", "status", "detail"} <= problem.keys()
    for leak in ("Traceback", "sqlalchemy", "SELECT", "INSERT", 'File "'):
        assert leak not in response.text


@pytest.mark.parametrize("case", list(CREATE_BODIES))
def test_bad_create_bodies(client: httpx.Client, case: str) -> None:
    content, media, status = CREATE_BODIES[case]
    response = client.post(
        "/threads",
        content=content,
        headers={"Content-Type": media, "Idempotency-Key": f"bad-{uuid.uuid4()}"},
    )
    assert_problem(response, status)
    assert client.get("/threads").json()["items"] == []


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/threads/not-a-uuid", 404),
        ("GET", "/threads/1' OR '1'='1", 404),
        ("DELETE", "/threads/%00", 404),
        ("GET", "/threads/00000000-0000-0000-0000-000000000000/messages/nope", 404),
        ("GET", "/threads?limit=0", 422),
        ("GET", "/threads?limit=101", 422),
        ("GET", "/threads?limit=abc", 422),
        ("GET", "/threads?cursor=%%%", 400),
        ("GET", "/threads?cursor=bm90LWEtY3Vyc29y", 400),
        ("GET", "/threads?cursor=" + "A" * 201, 422),
        ("GET", "/no/such/route", 404),
        ("PUT", "/threads", 405),
        ("TRACE", "/threads", 405),
        ("GET", "/threads/", 404),
    ],
)
def test_bad_paths_and_queries(client: httpx.Client, method: str, path: str, status: int) -> None:
    assert_problem(client.request(method, path), status)


def test_longest_valid_message_fits(client: httpx.Client) -> None:
    thread = client.post(
        "/threads", content=GOOD, headers={"Content-Type": JSON, "Idempotency-Key": "t"}
    )
    content = "\N{GRINNING FACE}" * 32000
    body = json.dumps({"role": "user", "content": content}).encode()  # ASCII-escaped: 384 kB
    response = client.post(
        f"/threads/{thread.json()['id']}/messages",
        content=body,
        headers={"Content-Type": JSON, "Idempotency-Key": "long"},
    )
    assert response.status_code == 201
    assert response.json()["content"] == content


def test_bad_updates_and_messages(client: httpx.Client) -> None:
    thread = client.post(
        "/threads", content=GOOD, headers={"Content-Type": JSON, "Idempotency-Key": "t"}
    )
    thread_id = thread.json()["id"]
    target = f"/threads/{thread_id}"
    assert_problem(client.patch(target, content=b"{", headers={"Content-Type": JSON}), 400)
    assert_problem(client.patch(target, json={"title": "x" * 201}), 422)
    assert_problem(client.patch(target, json={"title": "ok", "id": thread_id}), 422)
    assert_problem(client.patch(target, json={"title": "ok"}, headers={"If-Match": "garbage"}), 412)
    messages = f"{target}/messages"
    key = {"Idempotency-Key": "m"}
    assert_problem(client.post(messages, json={"role": "robot", "content": "x"}, headers=key), 422)
    assert_problem(client.post(messages, json={"role": "user", "content": ""}, headers=key), 422)
    assert_problem(
        client.post(messages, json={"role": "user", "content": "x", "id": "mine"}, headers=key), 422
    )
    assert_problem(client.get(messages, params={"cursor": "dC4x"}), 400)
    assert client.get(target).json() == thread.json()
    assert client.get(messages).json()["items"] == []


def test_unparsable_http_is_a_problem_too(shared_provider: Server) -> None:
    parts = urlsplit(shared_provider.base_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as raw:
        raw.sendall(b"GET /threads HTTP/1.1\r\nHost: x\r\nX-Bad: a\x7fb\r\n\r\n")
        answer = b""
        while chunk := raw.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400")
    assert b"content-type: application/problem+json" in head.lower()
    assert b'"status": 400' in body
