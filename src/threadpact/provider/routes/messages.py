"""Message operations: create (idempotent), list, get."""

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from threadpact.models import Message, MessageCreate, MessagePage
from threadpact.provider import queries
from threadpact.provider.bodies import read_body
from threadpact.provider.deps import CallerDep, parse_id
from threadpact.provider.idempotency import (
    KeyVanished,
    StoredResponse,
    create_once,
    fingerprint,
    require_key,
)
from threadpact.provider.paging import decode_cursor, encode_cursor
from threadpact.provider.problems import ProblemError
from threadpact.provider.routes.threads import (
    json_response,
    not_found,
    owned_thread,
    stored_response,
)
from threadpact.provider.storage.base import Statement
from threadpact.provider.timefmt import micros, to_datetime

router = APIRouter(tags=["messages"])

CREATE_OPERATION = "createMessage"


def server_message(row: Mapping[Any, Any]) -> Message:
    """The wire form of a message row."""
    return Message(
        id=uuid.UUID(row["id"]),
        thread_id=uuid.UUID(row["thread_id"]),
        role=row["role"],
        content=row["content"],
        created_at=to_datetime(row["created_us"]),
    )


def message_insert(
    thread_id: str, body: MessageCreate, now: int
) -> tuple[StoredResponse, Statement]:
    """The row and the 201 answer for a new message."""
    values = {
        "id": str(uuid.uuid4()),
        "thread_id": thread_id,
        "role": body.role,
        "content": body.content,
        "created_us": now,
    }
    wire = server_message(values).model_dump_json().encode()
    location = f"/threads/{thread_id}/messages/{values['id']}"
    return StoredResponse(201, wire, location), Statement(
        queries.INSERT_MESSAGE, tuple(values.values())
    )


@router.post("/threads/{thread_id}/messages", operation_id="createMessage", status_code=201)
async def create_message(thread_id: str, request: Request, caller: CallerDep) -> Response:
    """Add a message once per Idempotency-Key."""
    thread = await owned_thread(caller, thread_id)
    key = require_key(request)
    body = await read_body(request, MessageCreate)
    now_us = micros(caller.settings.clock)

    try:
        stored, replayed = await create_once(
            caller.database,
            principal=caller.principal,
            operation=CREATE_OPERATION,
            key=key,
            request_fingerprint=fingerprint("POST", f"/threads/{thread['id']}/messages", body),
            now_us=now_us,
            retention_us=int(caller.settings.key_retention_seconds * 1_000_000),
            build=lambda: message_insert(thread["id"], body, now_us()),
            claim_and_insert_sql=queries.CLAIM_KEY_AND_INSERT_MESSAGE,
        )
    except KeyVanished:
        # The thread was deleted between the ownership check and the insert.
        raise not_found() from None
    return stored_response(stored, replayed)


@router.get("/threads/{thread_id}/messages", operation_id="listMessages")
async def list_messages(
    thread_id: str,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response:
    """A thread's messages, oldest first."""
    thread = await owned_thread(caller, thread_id)
    after = decode_cursor("m", cursor)
    if after is None:
        rows = await caller.database.fetch_all(queries.LIST_MESSAGES, thread["id"], limit + 1)
    else:
        rows = await caller.database.fetch_all(
            queries.LIST_MESSAGES_AFTER, thread["id"], after, limit + 1
        )
    more = len(rows) > limit
    rows = rows[:limit]
    page = MessagePage(
        items=[server_message(row) for row in rows],
        next_cursor=encode_cursor("m", rows[-1]["seq"]) if more else None,
    )
    return json_response(page.model_dump_json().encode())


@router.get("/threads/{thread_id}/messages/{message_id}", operation_id="getMessage")
async def get_message(thread_id: str, message_id: str, caller: CallerDep) -> Response:
    """One message of one of the caller's threads."""
    row = await caller.database.fetch_one(
        queries.GET_MESSAGE,
        parse_id(message_id, "message"),
        parse_id(thread_id, "thread"),
        caller.principal,
    )
    if row is None:
        raise ProblemError(404, "no such message", slug="not-found")
    return json_response(server_message(row).model_dump_json().encode())
