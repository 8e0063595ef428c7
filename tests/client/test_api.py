"""The API client: what it sends, what it parses, how it classifies failures."""

import json
from collections.abc import Callable

import httpx
import pytest

from threadpact.client import errors
from threadpact.client.api import ThreadsApi, retry_after
from threadpact.models import MessageCreate, ThreadCreate, ThreadUpdate
from threadpact.names import is_valid_idempotency_key as valid_key

THREAD = {
    "id": "0b6c2a5e-3a55-4c2b-8f7e-0d9b1f1c8e21",
    "title": "Refund",
    "agent_id": "support-bot",
    "model": "gpt-4o",
    "provider": "openai",
    "created_at": "2026-01-02T03:04:05.123456Z",
    "updated_at": "2026-01-02T03:04:05.123456Z",
}
MESSAGE = {
    "id": "5f1e8a40-2a0c-4a1e-9c7b-6e3f0d2b9a10",
    "thread_id": THREAD["id"],
    "role": "user",
    "content": "hi",
    "created_at": "2026-01-02T03:04:06Z",
}
BODY = ThreadCreate(agent_id="support-bot", model="gpt-4o", provider="openai", title="Refund")


def api_answering(
    handler: Callable[[httpx.Request], httpx.Response], seen: list[httpx.Request] | None = None
) -> ThreadsApi:
    def record(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        return handler(request)

    return ThreadsApi("http://api.test/", "secret", transport=httpx.MockTransport(record))


def problem(status: int, **headers: str) -> httpx.Response:
    body = {"type": "about:blank", "title": "Nope", "status": status, "detail": "because"}
    return httpx.Response(
        status, json=body, headers={"content-type": "application/problem+json", **headers}
    )


def test_create_thread_sends_key_token_and_a_body_without_id() -> None:
    seen: list[httpx.Request] = []
    api = api_answering(
        lambda _: httpx.Response(201, json=THREAD, headers={"Location": "/threads/x"}), seen
    )
    created = api.create_thread(BODY, idempotency_key="temp-1")
    [request] = seen
    assert request.method == "POST"
    assert request.url == "http://api.test/threads"
    assert request.headers["Idempotency-Key"] == "temp-1"
    assert request.headers["Authorization"] == "Bearer secret"
    sent = json.loads(request.content)
    assert "id" not in sent
    assert sent == {
        "agent_id": "support-bot",
        "model": "gpt-4o",
        "provider": "openai",
        "title": "Refund",
    }
    assert str(created.value.id) == THREAD["id"]
    assert created.replayed is False
    assert created.location == "/threads/x"


def test_a_replay_is_reported() -> None:
    api = api_answering(
        lambda _: httpx.Response(201, json=THREAD, headers={"Idempotent-Replayed": "true"})
    )
    assert api.create_thread(BODY, idempotency_key="k").replayed is True


def test_create_message_posts_to_the_thread_with_the_message_key() -> None:
    seen: list[httpx.Request] = []
    api = api_answering(lambda _: httpx.Response(201, json=MESSAGE), seen)
    created = api.create_message(
        THREAD["id"], MessageCreate(role="user", content="hi"), idempotency_key="m-1"
    )
    assert seen[0].url.path == f"/threads/{THREAD['id']}/messages"
    assert seen[0].headers["Idempotency-Key"] == "m-1"
    assert created.value.content == "hi"


def test_get_and_update_return_the_etag_and_update_sends_if_match() -> None:
    seen: list[httpx.Request] = []
    api = api_answering(lambda _: httpx.Response(200, json=THREAD, headers={"ETag": '"3"'}), seen)
    assert api.get_thread(THREAD["id"]).etag == '"3"'
    updated = api.update_thread(THREAD["id"], ThreadUpdate(title="x"), if_match='"3"')
    assert updated.etag == '"3"'
    assert seen[1].method == "PATCH"
    assert seen[1].headers["If-Match"] == '"3"'
    assert json.loads(seen[1].content) == {"title": "x"}


def test_delete_expects_204() -> None:
    seen: list[httpx.Request] = []
    api_answering(lambda _: httpx.Response(204), seen).delete_thread(THREAD["id"])
    assert seen[0].method == "DELETE"


def test_lists_follow_the_cursor_until_it_is_null() -> None:
    pages = {
        None: {"items": [THREAD], "next_cursor": "c2"},
        "c2": {
            "items": [{**THREAD, "id": "1b6c2a5e-3a55-4c2b-8f7e-0d9b1f1c8e21"}],
            "next_cursor": None,
        },
    }
    seen: list[httpx.Request] = []
    api = api_answering(lambda r: httpx.Response(200, json=pages[r.url.params.get("cursor")]), seen)
    ids = [str(t.id) for t in api.iter_threads()]
    assert ids == [THREAD["id"], "1b6c2a5e-3a55-4c2b-8f7e-0d9b1f1c8e21"]
    assert [r.url.params.get("limit") for r in seen] == ["100", "100"]


def test_path_ids_are_one_segment() -> None:
    seen: list[httpx.Request] = []
    api = api_answering(lambda _: problem(404), seen)
    with pytest.raises(errors.NotFound):
        api.get_thread("../x?y")
    assert seen[0].url.raw_path == b"/threads/..%2Fx%3Fy"


@pytest.mark.parametrize("key", ["", " lead", "trail ", "tab\tin", "é", "x" * 256])
def test_an_invalid_key_is_refused_before_sending(key: str) -> None:
    seen: list[httpx.Request] = []
    api = api_answering(lambda _: httpx.Response(201, json=THREAD), seen)
    assert not valid_key(key)
    with pytest.raises(ValueError, match="Idempotency-Key"):
        api.create_thread(BODY, idempotency_key=key)
    assert seen == []


@pytest.mark.parametrize(
    ("status", "cls", "retryable"),
    [
        (400, errors.BadRequest, False),
        (401, errors.Unauthorized, False),
        (403, errors.Forbidden, False),
        (404, errors.NotFound, False),
        (408, errors.Throttled, True),
        (409, errors.InFlight, True),
        (410, errors.ClientError, False),
        (412, errors.PreconditionFailed, False),
        (413, errors.ClientError, False),
        (422, errors.Unprocessable, False),
        (429, errors.Throttled, True),
        (500, errors.ServerError, True),
        (503, errors.ServerError, True),
        (302, errors.UnexpectedResponse, False),
        (200, errors.UnexpectedResponse, False),
    ],
)
def test_failures_are_classified(status: int, cls: type[errors.ApiError], retryable: bool) -> None:
    api = api_answering(lambda _: problem(status))
    with pytest.raises(errors.ApiError) as caught:
        api.create_thread(BODY, idempotency_key="k")
    error = caught.value
    assert type(error) is cls
    assert isinstance(error, errors.RetryableError) is retryable
    assert isinstance(error, errors.PermanentError) is (not retryable)
    assert error.status == status
    assert error.operation == "createThread"
    assert str(status) in str(error)


def test_the_problem_body_is_kept() -> None:
    api = api_answering(lambda _: problem(422))
    with pytest.raises(errors.Unprocessable) as caught:
        api.create_thread(BODY, idempotency_key="k")
    assert caught.value.problem is not None
    assert caught.value.problem.detail == "because"
    assert "because" in str(caught.value)


def test_an_error_without_problem_json_still_classifies() -> None:
    api = api_answering(lambda _: httpx.Response(502, text="<html>bad gateway</html>"))
    with pytest.raises(errors.ServerError) as caught:
        api.list_threads()
    assert caught.value.problem is None


@pytest.mark.parametrize(
    ("raised", "cls"),
    [
        (httpx.ConnectError, errors.NetworkError),
        (httpx.ReadError, errors.NetworkError),
        (httpx.RemoteProtocolError, errors.NetworkError),
        (httpx.ReadTimeout, errors.NetworkTimeout),
        (httpx.ConnectTimeout, errors.NetworkTimeout),
    ],
)
def test_no_answer_is_retryable(raised: type[httpx.TransportError], cls: type[Exception]) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise raised("boom", request=request)

    with pytest.raises(cls) as caught:
        api_answering(fail).create_thread(BODY, idempotency_key="k")
    assert isinstance(caught.value, errors.RetryableError)
    assert caught.value.status is None


@pytest.mark.parametrize(
    "body", [{**THREAD, "id": "not-a-uuid"}, {**THREAD, "extra": 1}, {"items": []}]
)
def test_a_body_that_breaks_the_contract_is_unexpected(body: dict[str, object]) -> None:
    api = api_answering(lambda _: httpx.Response(201, json=body))
    with pytest.raises(errors.UnexpectedResponse, match="not a ServerThread"):
        api.create_thread(BODY, idempotency_key="k")


def test_retry_after_is_read_in_seconds_or_as_a_date() -> None:
    assert retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) is None
    assert retry_after(httpx.Response(429)) is None
    past = retry_after(
        httpx.Response(503, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
    )
    assert past == 0.0
    api = api_answering(lambda _: problem(429, **{"Retry-After": "12"}))
    with pytest.raises(errors.Throttled) as caught:
        api.list_threads()
    assert caught.value.retry_after == 12.0
