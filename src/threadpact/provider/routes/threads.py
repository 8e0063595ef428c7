"""Thread operations: create (idempotent), list, get, update, delete."""

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from threadpact.models import ServerThread, ThreadCreate, ThreadPage, ThreadUpdate
from threadpact.names import ETAG, IDEMPOTENT_REPLAYED, LOCATION
from threadpact.provider import queries
from threadpact.provider.bodies import read_body
from threadpact.provider.deps import Caller, CallerDep, parse_id
from threadpact.provider.idempotency import (
    StoredResponse,
    create_once,
    fingerprint,
    require_key,
)
from threadpact.provider.paging import decode_cursor, encode_cursor
from threadpact.provider.problems import ProblemError
from threadpact.provider.storage.base import Row, Statement
from threadpact.provider.timefmt import micros, to_datetime

router = APIRouter(tags=["threads"])

CREATE_OPERATION = "createThread"


def etag(version: int) -> str:
    """The strong ETag of a thread version."""
    return f'"{version}"'


def server_thread(row: Mapping[Any, Any]) -> ServerThread:
    """The wire form of a thread row."""
    return ServerThread(
        id=uuid.UUID(row["id"]),
        title=row["title"],
        agent_id=row["agent_id"],
        model=row["model"],
        provider=row["provider"],
        created_at=to_datetime(row["created_us"]),
        updated_at=to_datetime(row["updated_us"]),
    )


def json_response(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response with exactly these bytes."""
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def stored_response(stored: StoredResponse, replayed: bool) -> Response:
    """Send a create's answer; a replay says so."""
    headers = {LOCATION: stored.location}
    if stored.etag:
        headers[ETAG] = stored.etag
    if replayed:
        headers[IDEMPOTENT_REPLAYED] = "true"
    return json_response(stored.body, stored.status, headers)


def not_found() -> ProblemError:
    """The one answer for a missing, deleted or someone else's thread."""
    return ProblemError(404, "no such thread", slug="not-found")


def thread_insert(owner: str, body: ThreadCreate, now: int) -> tuple[StoredResponse, Statement]:
    """The row and the 201 answer for a new thread."""
    values = {
        "id": str(uuid.uuid4()),
        "owner": owner,
        "title": body.title,
        "agent_id": body.agent_id,
        "model": body.model,
        "provider": body.provider,
        "created_us": now,
        "updated_us": now,
        "version": 1,
    }
    wire = server_thread(values).model_dump_json().encode()
    answer = StoredResponse(201, wire, f"/threads/{values['id']}", etag(1))
    return answer, Statement(queries.INSERT_THREAD, tuple(values.values()))


@router.post("/threads", operation_id="createThread", status_code=201)
async def create_thread(request: Request, caller: CallerDep) -> Response:
    """Create a thread once per Idempotency-Key."""
    key = require_key(request)
    body = await read_body(request, ThreadCreate)
    now_us = micros(caller.settings.clock)

    stored, replayed = await create_once(
        caller.database,
        principal=caller.principal,
        operation=CREATE_OPERATION,
        key=key,
        request_fingerprint=fingerprint("POST", "/threads", body),
        now_us=now_us,
        retention_us=int(caller.settings.key_retention_seconds * 1_000_000),
        build=lambda: thread_insert(caller.principal, body, now_us()),
        claim_and_insert_sql=queries.CLAIM_KEY_AND_INSERT_THREAD,
    )
    return stored_response(stored, replayed)


@router.get("/threads", operation_id="listThreads")
async def list_threads(
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response:
    """The caller's threads, newest first."""
    before = decode_cursor("t", cursor)
    if before is None:
        rows = await caller.database.fetch_all(queries.LIST_THREADS, caller.principal, limit + 1)
    else:
        rows = await caller.database.fetch_all(
            queries.LIST_THREADS_BEFORE, caller.principal, before, limit + 1
        )
    more = len(rows) > limit
    rows = rows[:limit]
    page = ThreadPage(
        items=[server_thread(row) for row in rows],
        next_cursor=encode_cursor("t", rows[-1]["seq"]) if more else None,
    )
    return json_response(page.model_dump_json().encode())


async def owned_thread(caller: Caller, thread_id: str) -> Row:
    """The caller's thread row, or the not-found problem."""
    row = await caller.database.fetch_one(
        queries.GET_THREAD, parse_id(thread_id, "thread"), caller.principal
    )
    if row is None:
        raise not_found()
    return row


@router.get("/threads/{thread_id}", operation_id="getThread")
async def get_thread(thread_id: str, caller: CallerDep) -> Response:
    """One thread with its ETag."""
    row = await owned_thread(caller, thread_id)
    return json_response(
        server_thread(row).model_dump_json().encode(), headers={ETAG: etag(row["version"])}
    )


def matching_version(if_match: str) -> int | None:
    """The version an If-Match names; -1 for ``*``; None if it names none we make."""
    if if_match.strip() == "*":
        return -1
    for candidate in if_match.split(","):
        tag = candidate.strip().removeprefix("W/")
        if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit() and len(tag) < 12:
            return int(tag[1:-1])
    return None


@router.patch("/threads/{thread_id}", operation_id="updateThread")
async def update_thread(
    thread_id: str,
    request: Request,
    caller: CallerDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> Response:
    """Change the title; a stale If-Match is a 412."""
    thread_id = parse_id(thread_id, "thread")
    body = await read_body(request, ThreadUpdate)
    expected = matching_version(if_match) if if_match is not None else -1
    changes = (thread_id, caller.principal, body.title, micros(caller.settings.clock)())
    async with caller.database.transaction() as transaction:
        row = None
        if expected is not None and expected >= 0:
            row = await transaction.fetch_one(queries.UPDATE_THREAD_AT_VERSION, *changes, expected)
        elif expected is not None:
            row = await transaction.fetch_one(queries.UPDATE_THREAD, *changes)
        if row is None:
            if (
                await transaction.fetch_one(queries.THREAD_EXISTS, thread_id, caller.principal)
                is None
            ):
                raise not_found()
            raise ProblemError(
                412,
                "If-Match does not name the thread's current ETag; read it again and retry",
                slug="stale-etag",
            )
    return json_response(
        server_thread(row).model_dump_json().encode(), headers={ETAG: etag(row["version"])}
    )


@router.delete("/threads/{thread_id}", operation_id="deleteThread", status_code=204)
async def delete_thread(thread_id: str, caller: CallerDep) -> Response:
    """Delete a thread and, by cascade, its messages."""
    deleted = await caller.database.execute(
        queries.DELETE_THREAD, parse_id(thread_id, "thread"), caller.principal
    )
    if deleted == 0:
        raise not_found()
    return Response(status_code=204)
