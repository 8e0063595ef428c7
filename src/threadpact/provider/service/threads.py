"""Threads: idempotent create, list, read, rename and delete, all for one owner."""

import uuid
from collections.abc import Mapping
from typing import Any

from threadpact.models import ServerThread, ThreadCreate, ThreadPage
from threadpact.provider import queries
from threadpact.provider.config import Settings
from threadpact.provider.idempotency import StoredResponse, create_once, fingerprint
from threadpact.provider.paging import fetch_page
from threadpact.provider.problems import ProblemError
from threadpact.provider.storage.base import Database, Row, Statement
from threadpact.provider.timefmt import micros, to_datetime

CREATE_OPERATION = "createThread"
CURSOR_KIND = "t"
ANY_VERSION = -1
"""The version an ``If-Match: *`` (or no If-Match) names: whichever is current."""


def etag(version: int) -> str:
    """The strong ETag of a thread version."""
    return f'"{version}"'


def thread_from_row(row: Mapping[Any, Any]) -> ServerThread:
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
    wire = thread_from_row(values).model_dump_json().encode()
    answer = StoredResponse(201, wire, f"/threads/{values['id']}", etag(1))
    return answer, Statement(queries.INSERT_THREAD, tuple(values.values()))


async def create_thread(
    database: Database, settings: Settings, owner: str, key: str, body: ThreadCreate
) -> tuple[StoredResponse, bool]:
    """Create a thread once per Idempotency-Key; returns the answer and whether it is a replay."""
    now_us = micros(settings.clock)
    return await create_once(
        database,
        principal=owner,
        operation=CREATE_OPERATION,
        key=key,
        request_fingerprint=fingerprint("POST", "/threads", body),
        now_us=now_us,
        # thread_insert is looked up when called (the test suite's broken provider swaps it).
        build=lambda: thread_insert(owner, body, now_us()),
        claim_and_insert_sql=queries.CLAIM_KEY_AND_INSERT_THREAD,
    )


async def list_threads(
    database: Database, owner: str, limit: int, cursor: str | None
) -> ThreadPage:
    """One page of the owner's threads, newest first; a 400 for a cursor we did not make."""
    listing = (queries.LIST_THREADS, queries.LIST_THREADS_BEFORE)
    rows, next_cursor = await fetch_page(database, CURSOR_KIND, listing, owner, limit, cursor)
    return ThreadPage(items=[thread_from_row(row) for row in rows], next_cursor=next_cursor)


async def owned_thread(database: Database, owner: str, thread_id: str) -> Row:
    """The owner's thread row, or the not-found problem."""
    row = await database.fetch_one(queries.GET_THREAD, thread_id, owner)
    if row is None:
        raise not_found()
    return row


async def rename_thread(
    database: Database, owner: str, thread_id: str, title: str, version: int | None, now: int
) -> Row:
    """Set the title if the thread is at ``version`` (or ANY_VERSION); the new row.

    ``version`` None (an If-Match that names no version of ours) never matches: a 412,
    like a stale version. A thread that is not the owner's is a 404 either way.
    """
    changes = (thread_id, owner, title, now)
    async with database.transaction() as transaction:
        row = None
        if version == ANY_VERSION:
            row = await transaction.fetch_one(queries.UPDATE_THREAD, *changes)
        elif version is not None:
            row = await transaction.fetch_one(queries.UPDATE_THREAD_AT_VERSION, *changes, version)
        if row is None:
            if await transaction.fetch_one(queries.THREAD_EXISTS, thread_id, owner) is None:
                raise not_found()
            raise ProblemError(
                412,
                "If-Match does not name the thread's current ETag; read it again and retry",
                slug="stale-etag",
            )
    return row


async def delete_thread(database: Database, settings: Settings, owner: str, thread_id: str) -> None:
    """Delete the owner's thread and, by cascade, its messages; a 404 if there is none.

    In the same transaction the Idempotency-Keys of the thread and of its messages start
    their retention window: until it ends they still replay (or refuse another body).
    """
    retention_us = int(settings.key_retention_seconds * 1_000_000)
    async with database.transaction() as transaction:
        if await transaction.execute(queries.DELETE_THREAD, thread_id, owner) == 0:
            raise not_found()
        expires = micros(settings.clock)() + retention_us
        await transaction.execute(queries.EXPIRE_THREAD_KEYS, thread_id, expires)
