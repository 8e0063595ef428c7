"""Message operations: create (idempotent), list, get."""

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from threadpact.models import MessageCreate
from threadpact.provider.bodies import read_body
from threadpact.provider.deps import CallerDep, parse_id
from threadpact.provider.idempotency import require_key
from threadpact.provider.responses import json_response, stored_response
from threadpact.provider.service import messages, threads

router = APIRouter(tags=["messages"])


@router.post("/threads/{thread_id}/messages", operation_id="createMessage", status_code=201)
async def create_message(thread_id: str, request: Request, caller: CallerDep) -> Response:
    """Add a message once per Idempotency-Key."""
    thread = await threads.owned_thread(
        caller.database, caller.principal, parse_id(thread_id, "thread")
    )
    key = require_key(request)
    body = await read_body(request, MessageCreate)
    stored, replayed = await messages.create_message(
        caller.database, caller.settings, caller.principal, thread["id"], key, body
    )
    return stored_response(stored, replayed)


@router.get("/threads/{thread_id}/messages", operation_id="listMessages")
async def list_messages(
    thread_id: str,
    caller: CallerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Response:
    """A thread's messages, oldest first."""
    thread = await threads.owned_thread(
        caller.database, caller.principal, parse_id(thread_id, "thread")
    )
    page = await messages.list_messages(caller.database, thread["id"], limit, cursor)
    return json_response(page.model_dump_json().encode())


@router.get("/threads/{thread_id}/messages/{message_id}", operation_id="getMessage")
async def get_message(thread_id: str, message_id: str, caller: CallerDep) -> Response:
    """One message of one of the caller's threads."""
    message_id = parse_id(message_id, "message")
    thread_id = parse_id(thread_id, "thread")
    row = await messages.get_message(caller.database, caller.principal, thread_id, message_id)
    return json_response(messages.server_message(row).model_dump_json().encode())
