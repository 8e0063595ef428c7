"""Messages of a thread: idempotent create, list and read.

The routers check first that the thread is the caller's (threads.owned_thread), so
that a thread that is not theirs is a 404 before anything else is looked at.
"""

import uuid
from collections.abc import Mapping
from typing import Any

from threadpact.models import Message, MessageCreate, MessagePage
from threadpact.provider import queries
from threadpact.provider.config import Settings
from threadpact.provider.idempotency import KeyVanished, StoredResponse, create_once, fingerprint
from threadpact.provider.paging import fetch_page
from threadpact.provider.problems import ProblemError
from threadpact.provider.service.threads import not_found
from threadpact.provider.storage.base import Database, Row, Statement
from threadpact.provider.timefmt import micros, to_datetime

CREATE_OPERATION = "createMessage"
CURSOR_KIND = "m"


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


async def create_message(
    database: Database,
    settings: Settings,
    owner: str,
    thread_id: str,
    key: str,
    body: MessageCreate,
) -> tuple[StoredResponse, bool]:
    """Add a message to the owner's thread once per Idempotency-Key.

    Returns the answer and whether it is a replay; a 404 if the thread went meanwhile.
    """
    now_us = micros(settings.clock)
    try:
        return await create_once(
            database,
            principal=owner,
            operation=CREATE_OPERATION,
            key=key,
            request_fingerprint=fingerprint("POST", f"/threads/{thread_id}/messages", body),
            now_us=now_us,
            build=lambda: message_insert(thread_id, body, now_us()),
            claim_and_insert_sql=queries.CLAIM_KEY_AND_INSERT_MESSAGE,
        )
    except KeyVanished:
        # The thread was deleted between the ownership check and the insert.
        raise not_found() from None


async def list_messages(
    database: Database, thread_id: str, limit: int, cursor: str | None
) -> MessagePage:
    """One page of a thread's messages, oldest first; a 400 for a cursor we did not make."""
    listing = (queries.LIST_MESSAGES, queries.LIST_MESSAGES_AFTER)
    rows, next_cursor = await fetch_page(database, CURSOR_KIND, listing, thread_id, limit, cursor)
    return MessagePage(items=[server_message(row) for row in rows], next_cursor=next_cursor)


async def get_message(database: Database, owner: str, thread_id: str, message_id: str) -> Row:
    """One message of one of the owner's threads, or a 404."""
    row = await database.fetch_one(queries.GET_MESSAGE, message_id, thread_id, owner)
    if row is None:
        raise ProblemError(404, "no such message", slug="not-found")
    return row
