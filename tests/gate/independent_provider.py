"""A second implementation of openapi.yaml, written from the spec's words alone.

It shares no code with threadpact (not even its models): plain Starlette and the
standard library, everything in memory, one process. The fuzz step holds it to every
rule (tests/gate/test_fuzz_independent.py), so a rule that only the reference provider
passes shows up as a rule that encodes incidental behaviour, not the contract.

Where the spec leaves a choice open, this implementation deliberately chooses
differently from the reference provider: opaque random ETags, timestamps with a
``+00:00`` offset and millisecond precision, signed cursors, request bodies compared
as JSON values (not as text) for idempotency, and 400 for a malformed ``limit``.

Serve with ``python -m uvicorn tests.gate.independent_provider:app --port N``; tokens
come from THREADPACT_TOKENS (``token=principal,...``).
"""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

TOKENS = dict(
    pair.split("=", 1) for pair in os.environ.get("THREADPACT_TOKENS", "").split(",") if "=" in pair
)
MAX_BODY_BYTES = 1 << 20
"""The size limit: far above the largest body the schemas accept (32000 characters)."""
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
DEFAULT_TITLE = "New thread"
KEY_PATTERN = re.compile(r"[!-~]([ -~]*[!-~])?")
NAME_PATTERN = re.compile(r"[^\x00-\x1f\x7f]+")
TITLE_PATTERN = re.compile(r"[^\x00-\x1f\x7f]*")
CONTENT_PATTERN = re.compile(r"[^\x00]*")
UUID_PATTERN = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
ROLES = ("user", "assistant", "system")
SECRET = secrets.token_bytes(32)


class Problem(Exception):
    """An RFC 9457 problem to answer with."""

    def __init__(
        self, status: int, title: str, detail: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail = status, title, detail
        self.headers = headers or {}
        self.errors: list[dict[str, str]] = []

    def response(self) -> Response:
        """The problem as an ``application/problem+json`` answer."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")
        body: dict[str, Any] = {
            "type": f"https://independent.example/problems/{slug}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = self.errors
        return Response(
            json.dumps(body), self.status, self.headers, media_type="application/problem+json"
        )


def invalid(loc: str, msg: str) -> Problem:
    """A 422 naming one offending value."""
    problem = Problem(422, "Invalid body", f"{loc or '/'}: {msg}")
    problem.errors.append({"loc": loc or "/", "msg": msg})
    return problem


# --- storage -------------------------------------------------------------------------


@dataclass
class Thread:
    """A stored thread."""

    id: str
    owner: str
    title: str
    agent_id: str
    model: str
    provider: str
    created_at: str
    updated_at: str
    etag: str
    order: int

    def view(self) -> dict[str, Any]:
        """The thread as ServerThread."""
        return {
            "id": self.id,
            "title": self.title,
            "agent_id": self.agent_id,
            "model": self.model,
            "provider": self.provider,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass
class Message:
    """A stored message."""

    id: str
    thread_id: str
    role: str
    content: str
    created_at: str
    order: int

    def view(self) -> dict[str, Any]:
        """The message as Message."""
        return {
            "id": self.id,
            "thread_id": self.thread_id,
            "role": self.role,
            "content": self.content,
            "created_at": self.created_at,
        }


@dataclass
class Remembered:
    """What the first request with an Idempotency-Key was, and what it answered."""

    fingerprint: str
    status: int
    body: bytes
    headers: dict[str, str]
    thread_id: str


@dataclass
class Store:
    """Every thread, message and key; one event loop, so no awaits inside a change."""

    threads: dict[str, Thread] = field(default_factory=dict)
    messages: dict[str, Message] = field(default_factory=dict)
    keys: dict[tuple[str, str, str], Remembered] = field(default_factory=dict)
    counter: int = 0

    def tick(self) -> int:
        """A number larger than every earlier one: the creation order."""
        self.counter += 1
        return self.counter


STORE = Store()


def timestamp() -> str:
    """Now, RFC 3339 in UTC, with an explicit ``+00:00`` offset."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def new_etag() -> str:
    """A strong ETag no thread ever had."""
    return f'"{secrets.token_hex(8)}"'


# --- requests ------------------------------------------------------------------------


def principal_of(request: Request) -> str:
    """The principal of the bearer token, or a 401."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    principal = TOKENS.get(token.strip()) if scheme.lower() == "bearer" else None
    if principal is None:
        raise Problem(
            401, "Unauthorized", "a known bearer token is required", {"WWW-Authenticate": "Bearer"}
        )
    return principal


def idempotency_key(request: Request) -> str:
    """The request's Idempotency-Key, or a 400."""
    values = request.headers.getlist("idempotency-key")
    if not values:
        raise Problem(400, "Missing Idempotency-Key", "creates require an Idempotency-Key header")
    if len(values) > 1 or len(values[0]) > 255 or not KEY_PATTERN.fullmatch(values[0]):
        raise Problem(400, "Malformed Idempotency-Key", "1 to 255 printable ASCII characters")
    return values[0]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


async def json_body(request: Request) -> Any:
    """The request body as JSON: 415, 413 or 400 when it cannot be one."""
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise Problem(415, "Unsupported media type", "the body must be application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Problem(413, "Body too large", f"at most {MAX_BODY_BYTES} bytes")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_BODY_BYTES:
            raise Problem(413, "Body too large", f"at most {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(bytes(raw).decode("utf-8"), parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Problem(400, "Malformed JSON", "the body is not JSON") from None


def string_field(
    body: dict[str, Any], name: str, pattern: re.Pattern[str], low: int, high: int
) -> str:
    """A string property that fits the schema's length and pattern, or a 422."""
    value = body[name]
    if not isinstance(value, str):
        raise invalid(f"/{name}", "must be a string")
    if not low <= len(value) <= high:
        raise invalid(f"/{name}", f"must be {low} to {high} characters")
    if not pattern.fullmatch(value):
        raise invalid(f"/{name}", "contains characters that are not allowed")
    return value


def object_with(body: Any, allowed: set[str], needed: set[str]) -> dict[str, Any]:
    """The body as an object with only ``allowed`` and all ``needed`` properties, or a 422."""
    if not isinstance(body, dict):
        raise invalid("", "must be an object")
    for name in body:
        if name not in allowed:
            raise invalid(f"/{name}", "unknown field")
    for name in sorted(needed):
        if name not in body:
            raise invalid(f"/{name}", "required")
    return body


def thread_create(body: Any) -> dict[str, str]:
    """A valid ThreadCreate, with the title's default applied."""
    body = object_with(
        body, {"agent_id", "model", "provider", "title"}, {"agent_id", "model", "provider"}
    )
    made = {
        name: string_field(body, name, NAME_PATTERN, 1, 100)
        for name in ("agent_id", "model", "provider")
    }
    made["title"] = (
        string_field(body, "title", TITLE_PATTERN, 0, 200) if "title" in body else DEFAULT_TITLE
    )
    return made


def thread_update(body: Any) -> str:
    """The title of a valid ThreadUpdate."""
    return string_field(object_with(body, {"title"}, {"title"}), "title", TITLE_PATTERN, 0, 200)


def message_create(body: Any) -> dict[str, str]:
    """A valid MessageCreate."""
    body = object_with(body, {"role", "content"}, {"role", "content"})
    if body["role"] not in ROLES:
        raise invalid("/role", f"must be one of {', '.join(ROLES)}")
    return {
        "role": body["role"],
        "content": string_field(body, "content", CONTENT_PATTERN, 1, 32000),
    }


def canonical_uuid(text: str) -> str | None:
    """The lower-case form of a UUID, or None for anything else."""
    return text.lower() if UUID_PATTERN.fullmatch(text) else None


def owned_thread(principal: str, raw_id: str) -> Thread:
    """The caller's thread, or 404 (missing, deleted, someone else's, not a UUID)."""
    thread_id = canonical_uuid(raw_id)
    thread = STORE.threads.get(thread_id) if thread_id else None
    if thread is None or thread.owner != principal:
        raise Problem(404, "Not found", "no such thread")
    return thread


# --- pages ---------------------------------------------------------------------------


def page_size(request: Request) -> int:
    """The ``limit`` query parameter (default 20), or a 400."""
    values = request.query_params.getlist("limit")
    if not values:
        return DEFAULT_LIMIT
    if len(values) > 1 or not values[0].isascii() or not values[0].isdigit():
        raise Problem(400, "Bad limit", "limit must be one integer from 1 to 100")
    limit = int(values[0])
    if not 1 <= limit <= MAX_LIMIT:
        raise Problem(400, "Bad limit", "limit must be one integer from 1 to 100")
    return limit


def _sign(payload: bytes) -> str:
    return hmac.new(SECRET, payload, hashlib.sha256).hexdigest()[:32]


def make_cursor(scope: str, position: int) -> str:
    """A signed cursor: where the next page starts, for one list of one principal."""
    payload = json.dumps([scope, position]).encode()
    text = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"{text}.{_sign(payload)}"


def read_cursor(request: Request, scope: str) -> int | None:
    """The position a cursor this server made names, or a 400 for any other cursor."""
    values = request.query_params.getlist("cursor")
    if not values:
        return None
    text, _, signature = values[0].partition(".")
    try:
        payload = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        found = json.loads(payload) if hmac.compare_digest(_sign(payload), signature) else None
    except (ValueError, TypeError):
        found = None
    if len(values) > 1 or not isinstance(found, list) or found[:1] != [scope]:
        raise Problem(400, "Bad cursor", "this server did not make that cursor")
    position = found[1]
    if not isinstance(position, int):
        raise Problem(400, "Bad cursor", "this server did not make that cursor")
    return position


def page(request: Request, scope: str, rows: list[Any], newest_first: bool) -> Response:
    """One page of ``rows`` (ordered by ``order``), starting where the cursor says."""
    limit, after = page_size(request), read_cursor(request, scope)
    rows = sorted(rows, key=lambda row: row.order, reverse=newest_first)
    if after is not None:
        rows = [r for r in rows if (r.order < after if newest_first else r.order > after)]
    shown = rows[:limit]
    following = make_cursor(scope, shown[-1].order) if len(rows) > limit else None
    return answer({"items": [row.view() for row in shown], "next_cursor": following})


# --- answers -------------------------------------------------------------------------


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer."""
    return Response(json.dumps(body), status, headers, media_type="application/json")


def idempotent(
    request: Request, principal: str, operation: str, key: str, body: Any, thread_id: str
) -> Response | Remembered:
    """The replay of an earlier request with this key, a 422, or what to remember."""
    fingerprint = json.dumps([request.url.path, body], sort_keys=True)
    earlier = STORE.keys.get((principal, operation, key))
    if earlier is None:
        return Remembered(fingerprint, 0, b"", {}, thread_id)
    if earlier.fingerprint != fingerprint:
        raise Problem(422, "Idempotency-Key reused", "this key was used with another request")
    headers = {**earlier.headers, "Idempotent-Replayed": "true"}
    thread = STORE.threads.get(earlier.thread_id)
    if "ETag" in headers and thread is not None:
        headers["ETag"] = thread.etag
    return Response(earlier.body, earlier.status, headers, media_type="application/json")


def remember(
    principal: str, operation: str, key: str, memo: Remembered, made: Response
) -> Response:
    """Keep a first answer for its key, and send it."""
    memo.status, memo.body = made.status_code, bytes(made.body)
    memo.headers = {
        name: made.headers[name] for name in ("Location", "ETag") if name in made.headers
    }
    STORE.keys[(principal, operation, key)] = memo
    return made


# --- operations ----------------------------------------------------------------------


async def create_thread(request: Request) -> Response:
    """POST /threads."""
    principal = principal_of(request)
    key = idempotency_key(request)
    body = await json_body(request)
    fields = thread_create(body)
    known = idempotent(request, principal, "createThread", key, body, "")
    if isinstance(known, Response):
        return known
    now = timestamp()
    thread = Thread(str(uuid.uuid4()), principal, created_at=now, updated_at=now,
                    etag=new_etag(), order=STORE.tick(), **fields)  # fmt: skip
    STORE.threads[thread.id] = thread
    known.thread_id = thread.id
    headers = {"Location": f"/threads/{thread.id}", "ETag": thread.etag}
    return remember(principal, "createThread", key, known, answer(thread.view(), 201, headers))


async def list_threads(request: Request) -> Response:
    """GET /threads: newest first."""
    principal = principal_of(request)
    mine = [t for t in STORE.threads.values() if t.owner == principal]
    return page(request, f"threads:{principal}", mine, newest_first=True)


async def get_thread(request: Request) -> Response:
    """GET /threads/{thread_id}."""
    thread = owned_thread(principal_of(request), request.path_params["thread_id"])
    return answer(thread.view(), headers={"ETag": thread.etag})


def matches(if_match: str, etag: str) -> bool:
    """Whether an If-Match value (``*`` or a list of ETags) matches, by strong comparison."""
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or etag in tags


async def update_thread(request: Request) -> Response:
    """PATCH /threads/{thread_id}: only the title; a stale If-Match is a 412."""
    thread = owned_thread(principal_of(request), request.path_params["thread_id"])
    title = thread_update(await json_body(request))
    if_match = request.headers.get("if-match")
    if if_match is not None and not matches(if_match, thread.etag):
        raise Problem(412, "Precondition failed", "the thread changed since that ETag")
    thread.title, thread.updated_at, thread.etag = title, timestamp(), new_etag()
    return answer(thread.view(), headers={"ETag": thread.etag})


async def delete_thread(request: Request) -> Response:
    """DELETE /threads/{thread_id}, and its messages."""
    thread = owned_thread(principal_of(request), request.path_params["thread_id"])
    del STORE.threads[thread.id]
    for message in [m for m in STORE.messages.values() if m.thread_id == thread.id]:
        del STORE.messages[message.id]
    return Response(status_code=204)


async def create_message(request: Request) -> Response:
    """POST /threads/{thread_id}/messages."""
    principal = principal_of(request)
    thread = owned_thread(principal, request.path_params["thread_id"])
    key = idempotency_key(request)
    body = await json_body(request)
    fields = message_create(body)
    known = idempotent(request, principal, "createMessage", key, body, thread.id)
    if isinstance(known, Response):
        return known
    message = Message(str(uuid.uuid4()), thread.id, created_at=timestamp(), order=STORE.tick(),
                      **fields)  # fmt: skip
    if thread.id not in STORE.threads:  # deleted while the body was read
        raise Problem(404, "Not found", "no such thread")
    STORE.messages[message.id] = message
    headers = {"Location": f"/threads/{thread.id}/messages/{message.id}"}
    return remember(principal, "createMessage", key, known, answer(message.view(), 201, headers))


async def list_messages(request: Request) -> Response:
    """GET /threads/{thread_id}/messages: oldest first."""
    principal = principal_of(request)
    thread = owned_thread(principal, request.path_params["thread_id"])
    mine = [m for m in STORE.messages.values() if m.thread_id == thread.id]
    return page(request, f"messages:{principal}:{thread.id}", mine, newest_first=False)


async def get_message(request: Request) -> Response:
    """GET /threads/{thread_id}/messages/{message_id}."""
    thread = owned_thread(principal_of(request), request.path_params["thread_id"])
    message_id = canonical_uuid(request.path_params["message_id"])
    message = STORE.messages.get(message_id) if message_id else None
    if message is None or message.thread_id != thread.id:
        raise Problem(404, "Not found", "no such message")
    return answer(message.view())


async def health(_request: Request) -> Response:
    """GET /healthz, for the test harness (not part of the contract)."""
    return answer({"status": "ok"})


# --- routing -------------------------------------------------------------------------

Handler = Callable[[Request], Awaitable[Response]]
ROUTES: list[tuple[re.Pattern[str], dict[str, Handler]]] = [
    (re.compile(r"/healthz"), {"GET": health}),
    (re.compile(r"/threads"), {"POST": create_thread, "GET": list_threads}),
    (
        re.compile(r"/threads/(?P<thread_id>[^/]+)"),
        {"GET": get_thread, "PATCH": update_thread, "DELETE": delete_thread},
    ),
    (
        re.compile(r"/threads/(?P<thread_id>[^/]+)/messages"),
        {"POST": create_message, "GET": list_messages},
    ),
    (
        re.compile(r"/threads/(?P<thread_id>[^/]+)/messages/(?P<message_id>[^/]+)"),
        {"GET": get_message},
    ),
]


async def dispatch(request: Request) -> Response:
    """Route by path and method; every error, even an unforeseen one, is a problem."""
    try:
        for pattern, methods in ROUTES:
            found = pattern.fullmatch(request.url.path)
            if found is None:
                continue
            handler = methods.get(request.method)
            if handler is None:
                allow = {"Allow": ", ".join(methods)}
                raise Problem(405, "Method not allowed", f"{request.method} is not allowed", allow)
            request.scope["path_params"] = found.groupdict()
            return await handler(request)
        raise Problem(404, "Not found", "no such resource")
    except Problem as problem:
        return problem.response()
    except Exception as exc:  # the contract allows no other kind of 5xx body
        return Problem(500, "Internal error", type(exc).__name__).response()


METHODS = ["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS", "TRACE"]
app = Starlette(routes=[Route("/{path:path}", dispatch, methods=METHODS)])
