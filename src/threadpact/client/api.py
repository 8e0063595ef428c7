"""The threads API over HTTP: one method per operation, models in and out.

Every method returns generated models (``threadpact.models``) or raises an
:class:`~threadpact.client.errors.ApiError` (the tree is drawn in that module).
The transport is injectable, so a test can hand in an ``httpx.MockTransport`` or
a faulty transport that loses responses.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote
from uuid import UUID

import httpx
from pydantic import BaseModel, ValidationError

from threadpact.client.errors import (
    ApiError,
    NetworkError,
    NetworkTimeout,
    UnexpectedResponse,
    error_class,
)
from threadpact.models import (
    Message,
    MessageCreate,
    MessagePage,
    Problem,
    ServerThread,
    ThreadCreate,
    ThreadPage,
    ThreadUpdate,
)
from threadpact.names import (
    AUTHORIZATION,
    ETAG,
    IDEMPOTENCY_KEY,
    IDEMPOTENT_REPLAYED,
    IF_MATCH,
    LOCATION,
    PROBLEM_JSON,
    is_valid_idempotency_key,
)

__all__ = ["Created", "ThreadsApi", "Versioned"]

USER_AGENT = "threadpact-client/0.1"
MAX_PAGE = 100

Model = TypeVar("Model", bound=BaseModel)


@dataclass(frozen=True)
class Created(Generic[Model]):
    """The answer to an idempotent create."""

    value: Model
    replayed: bool
    """True when the server answered a replay of an earlier request with this key."""
    location: str | None
    etag: str | None = None
    """The created thread's ``ETag``, if the answer carried one."""


@dataclass(frozen=True)
class Versioned:
    """A thread with the ``ETag`` of its current version."""

    thread: ServerThread
    etag: str | None


def path_id(value: str | UUID) -> str:
    """An ID as one URL path segment (the server answers 404 for a non-UUID)."""
    return quote(str(value), safe="")


def retry_after(response: httpx.Response) -> float | None:
    """The ``Retry-After`` header in seconds, if the server sent a usable one."""
    raw = response.headers.get("Retry-After")
    if raw is None:
        return None
    if raw.strip().isdigit():
        return float(raw.strip())
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def problem_of(response: httpx.Response) -> Problem | None:
    """The problem+json body of an error answer, if it has one."""
    if not response.headers.get("content-type", "").startswith(PROBLEM_JSON):
        return None
    try:
        return Problem.model_validate_json(response.content)
    except ValidationError:
        return None


def error_for(operation: str, response: httpx.Response) -> ApiError:
    """The typed error for an answer that is not the expected success."""
    problem = problem_of(response)
    detail = (
        f"{problem.title}: {problem.detail}"
        if problem
        else (response.reason_phrase or "unexpected answer")
    )
    cls = error_class(response.status_code)
    return cls(
        operation,
        detail,
        status=response.status_code,
        problem=problem,
        retry_after=retry_after(response),
    )


class ThreadsApi:
    """A client for the threads API, authenticated as one principal."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            transport=transport,
            timeout=timeout,
            headers={
                AUTHORIZATION: f"Bearer {token}",
                "Accept": f"application/json, {PROBLEM_JSON}",
                "User-Agent": USER_AGENT,
            },
        )

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> "ThreadsApi":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing ---------------------------------------------------------------

    def _send(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        expect: int,
        json: Any = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        try:
            response = self._http.request(method, url, json=json, headers=headers, params=params)
        except httpx.TimeoutException as exc:
            raise NetworkTimeout(operation, f"no answer in time ({exc!r})") from exc
        except httpx.TransportError as exc:
            raise NetworkError(operation, f"no answer ({exc!r})") from exc
        if response.status_code != expect:
            raise error_for(operation, response)
        return response

    @staticmethod
    def _parse(operation: str, model: type[Model], response: httpx.Response) -> Model:
        try:
            return model.model_validate_json(response.content)
        except ValidationError as exc:
            raise UnexpectedResponse(
                operation,
                f"the {response.status_code} body is not a {model.__name__}: "
                f"{exc.error_count()} error(s), first: {exc.errors()[0]['msg']}",
                status=response.status_code,
            ) from exc

    @staticmethod
    def _key_header(key: str) -> dict[str, str]:
        if not is_valid_idempotency_key(key):
            raise ValueError(f"not a valid Idempotency-Key: {key!r}")
        return {IDEMPOTENCY_KEY: key}

    @staticmethod
    def _page_params(limit: int | None, cursor: str | None) -> dict[str, Any]:
        params: dict[str, Any] = {}
        if limit is not None:
            params["limit"] = limit
        if cursor is not None:
            params["cursor"] = cursor
        return params

    def _create(
        self, op: str, path: str, body: BaseModel, key: str, model: type[Model]
    ) -> Created[Model]:
        """An idempotent create: POST ``body`` with the key; 201 on create and on replay."""
        response = self._send(
            op,
            "POST",
            path,
            expect=201,
            json=body.model_dump(mode="json"),
            headers=self._key_header(key),
        )
        return Created(
            self._parse(op, model, response),
            replayed=response.headers.get(IDEMPOTENT_REPLAYED) == "true",
            location=response.headers.get(LOCATION),
            etag=response.headers.get(ETAG),
        )

    # -- threads ----------------------------------------------------------------

    def create_thread(self, body: ThreadCreate, *, idempotency_key: str) -> Created[ServerThread]:
        """``createThread``: POST /threads with the client's key; 201 on create and replay."""
        return self._create("createThread", "/threads", body, idempotency_key, ServerThread)

    def get_thread(self, thread_id: str | UUID) -> Versioned:
        """``getThread``: one thread and its ETag."""
        op = "getThread"
        response = self._send(op, "GET", f"/threads/{path_id(thread_id)}", expect=200)
        return Versioned(self._parse(op, ServerThread, response), response.headers.get(ETAG))

    def list_threads(self, *, limit: int | None = None, cursor: str | None = None) -> ThreadPage:
        """``listThreads``: one page of the caller's threads, newest first."""
        op = "listThreads"
        response = self._send(
            op, "GET", "/threads", expect=200, params=self._page_params(limit, cursor)
        )
        return self._parse(op, ThreadPage, response)

    def iter_threads(self) -> Iterator[ServerThread]:
        """Every thread of the caller, newest first, following cursors."""
        cursor: str | None = None
        while True:
            page = self.list_threads(limit=MAX_PAGE, cursor=cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def update_thread(
        self, thread_id: str | UUID, body: ThreadUpdate, *, if_match: str | None = None
    ) -> Versioned:
        """``updateThread``: change the title; with ``if_match``, only if it is current."""
        op = "updateThread"
        headers = {IF_MATCH: if_match} if if_match is not None else None
        response = self._send(
            op,
            "PATCH",
            f"/threads/{path_id(thread_id)}",
            expect=200,
            json=body.model_dump(mode="json"),
            headers=headers,
        )
        return Versioned(self._parse(op, ServerThread, response), response.headers.get(ETAG))

    def delete_thread(self, thread_id: str | UUID) -> None:
        """``deleteThread``: delete a thread and its messages."""
        self._send("deleteThread", "DELETE", f"/threads/{path_id(thread_id)}", expect=204)

    # -- messages ---------------------------------------------------------------

    def create_message(
        self, thread_id: str | UUID, body: MessageCreate, *, idempotency_key: str
    ) -> Created[Message]:
        """``createMessage``: add a message with the client's message ID as the key."""
        path = f"/threads/{path_id(thread_id)}/messages"
        return self._create("createMessage", path, body, idempotency_key, Message)

    def list_messages(
        self, thread_id: str | UUID, *, limit: int | None = None, cursor: str | None = None
    ) -> MessagePage:
        """``listMessages``: one page of a thread's messages, oldest first."""
        op = "listMessages"
        response = self._send(
            op,
            "GET",
            f"/threads/{path_id(thread_id)}/messages",
            expect=200,
            params=self._page_params(limit, cursor),
        )
        return self._parse(op, MessagePage, response)

    def iter_messages(self, thread_id: str | UUID) -> Iterator[Message]:
        """Every message of a thread, oldest first, following cursors."""
        cursor: str | None = None
        while True:
            page = self.list_messages(thread_id, limit=MAX_PAGE, cursor=cursor)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor
