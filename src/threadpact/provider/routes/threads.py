"""Thread operations: create (idempotent), list, get, update, delete."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import Response

from threadpact.models import ThreadCreate, ThreadUpdate
from threadpact.names import ETAG
from threadpact.provider.bodies import read_body
from threadpact.provider.deps import CallerDep, parse_id
from threadpact.provider.idempotency import require_key
from threadpact.provider.responses import json_response, stored_response
from threadpact.provider.service import threads
from threadpact.provider.storage.base import Row
from threadpact.provider.timefmt import micros

router = APIRouter(tags=["threads"])


def thread_response(row: Row) -> Response:
    """A thread with its ETag."""
    return json_response(
        threads.thread_from_row(row).model_dump_json().encode(),
        headers={ETAG: threads.etag(row["version"])},
    )


@router.post("/threads", operation_id="createThread", status_code=201)
async def create_thread(request: Request, caller: CallerDep) -> Response:
    """Create a thread once per Idempotency-Key."""
    key = require_key(request)
    body = await read_body(request, ThreadCreate)
    stored, replayed = await threads.create_thread(
        caller.database, caller.settings, caller.principal, key, body
    )
    return stored_response(stored, replayed)


@router.get("/threads", operation_id="listThreads")
async def list_threads(
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response:
    """The caller's threads, newest first."""
    page = await threads.list_threads(caller.database, caller.principal, limit, cursor)
    return json_response(page.model_dump_json().encode())


@router.get("/threads/{thread_id}", operation_id="getThread")
async def get_thread(thread_id: str, caller: CallerDep) -> Response:
    """One thread with its ETag."""
    row = await threads.owned_thread(
        caller.database, caller.principal, parse_id(thread_id, "thread")
    )
    return thread_response(row)


def matching_version(if_match: str) -> int | None:
    """The version an If-Match names; ANY_VERSION for ``*``; None if it names none we make."""
    if if_match.strip() == "*":
        return threads.ANY_VERSION
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
    version = threads.ANY_VERSION if if_match is None else matching_version(if_match)
    now = micros(caller.settings.clock)()
    row = await threads.rename_thread(
        caller.database, caller.principal, thread_id, body.title, version, now
    )
    return thread_response(row)


@router.delete("/threads/{thread_id}", operation_id="deleteThread", status_code=204)
async def delete_thread(thread_id: str, caller: CallerDep) -> Response:
    """Delete a thread and, by cascade, its messages."""
    await threads.delete_thread(
        caller.database, caller.settings, caller.principal, parse_id(thread_id, "thread")
    )
    return Response(status_code=204)
