"""A small in-memory threads API with one deliberate bug, chosen by the BUG variable.

    BUG=                    none: the control, which must pass
    BUG=ignore-key          create ignores the Idempotency-Key
    BUG=wrong-id            create answers another ID than the one it stores
    BUG=replay-other-body   the same key with another body replays instead of 422
    BUG=global-keys         keys are not scoped to the principal
    BUG=shared-threads      anyone can read anyone's thread
    BUG=racy-keys           look the key up, await, insert: no unique constraint
    BUG=long-title-500      a title over 120 characters crashes the server
    BUG=if-match-ignored    a change applies whatever If-Match says
    BUG=lists-everyones     the thread list shows every principal's threads
    BUG=deleted-still-listed  a deleted thread reads 404 but stays in the list
    BUG=trims-titles        titles are stored without leading and trailing spaces
    BUG=if-match-star-412   If-Match: * is taken for a stale ETag
    BUG=threads-oldest-first  the thread list is oldest first
    BUG=messages-newest-first the message list is newest first
    BUG=cursor-repeats      a thread page starts with the last item of the page before
    BUG=default-limit-10    a list without a limit answers pages of 10
    BUG=any-cursor-restarts a cursor the server never made gives the first page
    BUG=local-offset        timestamps carry a +02:00 offset (the same instant)

Serve with ``python -m uvicorn tests.gate.broken_providers:app --port N``; tokens come
from THREADPACT_TOKENS (``token=name,...``), as for the reference provider. Bodies,
keys, cursors and problems reuse the reference provider's helpers, so the only
difference from a correct provider is the bug.
"""

import asyncio
import hashlib
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Annotated, Any

from fastapi import FastAPI, Query, Request
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match, Route

from threadpact.models import MessageCreate, ThreadCreate, ThreadUpdate
from threadpact.provider import problems
from threadpact.provider.bodies import read_body
from threadpact.provider.idempotency import require_key
from threadpact.provider.paging import decode_cursor, encode_cursor
from threadpact.provider.problems import ProblemError, problem_response

BUG = os.environ.get("BUG", "")
TOKENS = dict(
    pair.split("=", 1) for pair in os.environ.get("THREADPACT_TOKENS", "").split(",") if pair
)
LONG_TITLE = 120
DEFAULT_LIMIT = 10 if BUG == "default-limit-10" else 20
LOCAL = timezone(timedelta(hours=2))
RACE_PAUSE = 0.02

app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None, redirect_slashes=False)
app.state.settings = SimpleNamespace(max_body_bytes=1_000_000)
problems.install(app)


@dataclass
class Store:
    """Everything the server knows; one process, one event loop."""

    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[tuple[str, ...], tuple[str, bytes, dict[str, str]]] = field(default_factory=dict)
    seq: int = 0

    def next_seq(self) -> int:
        self.seq += 1
        return self.seq


store = Store()


async def on_http(request: Request, exc: Exception) -> Response:
    """Problems for routing errors; a 405 lists every method the path has in Allow."""
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        methods = {
            method
            for route in app.routes
            if isinstance(route, Route) and route.matches(request.scope)[0] != Match.NONE
            for method in route.methods or ()
        }
        headers["Allow"] = ", ".join(sorted(methods))
    detail = "no such resource" if exc.status_code == 404 else str(exc.detail)
    return problem_response(ProblemError(exc.status_code, detail, headers=headers))


app.add_exception_handler(StarletteHTTPException, on_http)


def who(request: Request) -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or token.strip() not in TOKENS:
        raise ProblemError(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    return TOKENS[token.strip()]


def now() -> str:
    if BUG == "local-offset":
        return datetime.now(LOCAL).isoformat(timespec="microseconds")
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def cursor_position(kind: str, cursor: str | None) -> int | None:
    """Where a cursor resumes; under BUG=any-cursor-restarts a foreign one starts over."""
    try:
        return decode_cursor(kind, cursor)
    except ProblemError:
        if BUG == "any-cursor-restarts":
            return None
        raise


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body).encode(), status, headers, media_type="application/json")


def thread_view(row: dict[str, Any]) -> dict[str, Any]:
    names = ("id", "title", "agent_id", "model", "provider", "created_at", "updated_at")
    return {name: row[name] for name in names}


def message_view(row: dict[str, Any]) -> dict[str, Any]:
    return {name: row[name] for name in ("id", "thread_id", "role", "content", "created_at")}


def kept(title: str) -> str:
    """The title as stored (trimmed, under BUG=trims-titles)."""
    return title.strip() if BUG == "trims-titles" else title


def owned(thread_id: str, principal: str, *, shared: bool = False) -> dict[str, Any]:
    try:
        row = store.threads.get(str(uuid.UUID(thread_id)))
    except ValueError:
        row = None
    if row is None or row.get("deleted") or (row["owner"] != principal and not shared):
        raise ProblemError(404, "no such thread")
    return row


async def create_once(
    request: Request, principal: str, key: str | None, body: Any, make: Any
) -> Response:
    """Run ``make`` once per key, as the contract says (unless the bug says otherwise)."""
    if BUG == "ignore-key" or key is None:
        status, payload, headers = make()
        return json_response(payload, status, headers)
    operation = request.scope["route"].name
    scope = (operation, key) if BUG == "global-keys" else (principal, operation, key)
    request_text = request.url.path + json.dumps(body.model_dump(), sort_keys=True)
    digest = hashlib.sha256(request_text.encode()).hexdigest()
    stored = store.keys.get(scope)
    if BUG == "racy-keys":
        await asyncio.sleep(RACE_PAUSE)
    if stored is not None:
        if stored[0] != digest and BUG != "replay-other-body":
            raise ProblemError(422, "this key was used with another body")
        replayed = {**stored[2], "Idempotent-Replayed": "true"}
        return Response(stored[1], 201, replayed, media_type="application/json")
    status, payload, headers = make()
    store.keys[scope] = (digest, json.dumps(payload).encode(), headers)
    return json_response(payload, status, headers)


@app.get("/healthz")
async def health() -> Response:
    return json_response({"status": "ok"})


@app.post("/threads")
async def create_thread(request: Request) -> Response:
    principal = who(request)
    key = request.headers.get("Idempotency-Key") if BUG == "ignore-key" else require_key(request)
    body = await read_body(request, ThreadCreate)
    if BUG == "long-title-500" and len(body.title or "") > LONG_TITLE:
        raise RuntimeError("value too long for type character varying(120)")

    def make() -> tuple[int, dict[str, Any], dict[str, str]]:
        stamp = now()
        row = {**body.model_dump(), "id": str(uuid.uuid4()), "owner": principal, "version": 1}
        row["title"] = kept(row["title"])
        row.update(created_at=stamp, updated_at=stamp, seq=store.next_seq())
        store.threads[row["id"]] = row
        answer = thread_view(row) | ({"id": str(uuid.uuid4())} if BUG == "wrong-id" else {})
        return 201, answer, {"Location": f"/threads/{row['id']}", "ETag": '"1"'}

    return await create_once(request, principal, key, body, make)


@app.get("/threads")
async def list_threads(
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response:
    principal = who(request)
    after = cursor_position("t", cursor)
    newest = BUG != "threads-oldest-first"
    # BUG=cursor-repeats: the next page starts at (not after) the cursor's item.
    repeat = BUG == "cursor-repeats"
    rows = sorted(
        (
            r
            for r in store.threads.values()
            if (r["owner"] == principal or BUG == "lists-everyones")
            and (
                after is None
                or (r["seq"] < after if newest else r["seq"] > after)
                or (repeat and r["seq"] == after)
            )
        ),
        key=lambda r: -r["seq"] if newest else r["seq"],
    )
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor("t", page[-1]["seq"]) if more else None
    return json_response({"items": [thread_view(r) for r in page], "next_cursor": next_cursor})


@app.get("/threads/{thread_id}")
async def get_thread(thread_id: str, request: Request) -> Response:
    row = owned(thread_id, who(request), shared=BUG == "shared-threads")
    return json_response(thread_view(row), headers={"ETag": f'"{row["version"]}"'})


@app.patch("/threads/{thread_id}")
async def update_thread(thread_id: str, request: Request) -> Response:
    row = owned(thread_id, who(request))
    body = await read_body(request, ThreadUpdate)
    if_match = request.headers.get("If-Match")
    matching = (
        ("*", f'"{row["version"]}"') if BUG != "if-match-star-412" else (f'"{row["version"]}"',)
    )
    stale = if_match is not None and if_match.strip() not in matching
    if stale and BUG != "if-match-ignored":
        raise ProblemError(412, "stale ETag")
    row.update(title=kept(body.title), version=row["version"] + 1, updated_at=now())
    return json_response(thread_view(row), headers={"ETag": f'"{row["version"]}"'})


@app.delete("/threads/{thread_id}")
async def delete_thread(thread_id: str, request: Request) -> Response:
    row = owned(thread_id, who(request))
    if BUG == "deleted-still-listed":
        row["deleted"] = True
        return Response(status_code=204)
    del store.threads[row["id"]]
    for message_id in [m["id"] for m in store.messages.values() if m["thread_id"] == row["id"]]:
        del store.messages[message_id]
    return Response(status_code=204)


@app.post("/threads/{thread_id}/messages")
async def create_message(thread_id: str, request: Request) -> Response:
    principal = who(request)
    thread = owned(thread_id, principal)
    key = request.headers.get("Idempotency-Key") if BUG == "ignore-key" else require_key(request)
    body = await read_body(request, MessageCreate)

    def make() -> tuple[int, dict[str, Any], dict[str, str]]:
        row = {**body.model_dump(), "id": str(uuid.uuid4()), "thread_id": thread["id"]}
        row.update(created_at=now(), seq=store.next_seq())
        store.messages[row["id"]] = row
        location = f"/threads/{thread['id']}/messages/{row['id']}"
        return 201, message_view(row), {"Location": location}

    return await create_once(request, principal, key, body, make)


@app.get("/threads/{thread_id}/messages")
async def list_messages(
    thread_id: str,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=100)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response:
    thread = owned(thread_id, who(request))
    after = cursor_position("m", cursor)
    oldest = BUG != "messages-newest-first"
    rows = sorted(
        (
            m
            for m in store.messages.values()
            if m["thread_id"] == thread["id"]
            and (after is None or (m["seq"] > after if oldest else m["seq"] < after))
        ),
        key=lambda m: m["seq"] if oldest else -m["seq"],
    )
    page, more = rows[:limit], len(rows) > limit
    next_cursor = encode_cursor("m", page[-1]["seq"]) if more else None
    return json_response({"items": [message_view(m) for m in page], "next_cursor": next_cursor})


@app.get("/threads/{thread_id}/messages/{message_id}")
async def get_message(thread_id: str, message_id: str, request: Request) -> Response:
    thread = owned(thread_id, who(request))
    row = store.messages.get(message_id)
    if row is None or row["thread_id"] != thread["id"]:
        raise ProblemError(404, "no such message")
    return json_response(message_view(row))
