"""The one place that converts between the client's and the server's models.

``LocalThread``/``LocalMessage`` are camelCase with Unix-millisecond integer times;
``ServerThread``/``Message`` are snake_case with RFC 3339 UTC datetimes. Server
times have microseconds; local times keep milliseconds, so server -> local ->
server rounds a time down to its millisecond and changes nothing else.
"""

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID

from threadpact.models import (
    LocalMessage,
    LocalThread,
    Message,
    MessageCreate,
    ServerThread,
    ThreadCreate,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MS = timedelta(milliseconds=1)

SyncStatus = Literal["pending", "synced", "failed"]


def ms_to_datetime(ms: int) -> datetime:
    """Unix milliseconds as an aware UTC datetime (exact, no floats)."""
    return EPOCH + timedelta(milliseconds=ms)


def datetime_to_ms(moment: datetime) -> int:
    """An aware datetime as Unix milliseconds, rounded down."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"a naive datetime has no place on the timeline: {moment!r}")
    return (moment - EPOCH) // ONE_MS


# -- threads -------------------------------------------------------------------


def thread_create(local: LocalThread) -> ThreadCreate:
    """The body that creates ``local`` on the server (never carries an ID)."""
    return ThreadCreate(
        agent_id=local.agentId, model=local.model, provider=local.provider, title=local.title
    )


def local_thread(
    server: ServerThread,
    *,
    messages: Iterable[LocalMessage] = (),
    aliases: Iterable[str] = (),
    artifact_id: str | None = None,
    sync_status: SyncStatus = "synced",
) -> LocalThread:
    """A server thread as the client stores it."""
    return LocalThread(
        id=str(server.id),
        title=server.title,
        agentId=server.agent_id,
        model=server.model,
        provider=server.provider,
        messages=list(messages),
        createdAt=datetime_to_ms(server.created_at),
        updatedAt=datetime_to_ms(server.updated_at),
        artifactId=artifact_id,
        syncStatus=sync_status,
        syncError=None,
        aliases=list(aliases),
    )


# The two directions of one mapping, alike on purpose: each is the other's inverse,
# and the test suite holds them to it.
def server_thread(local: LocalThread) -> ServerThread:
    """A local thread as the server would return it (its ID must be a server UUID)."""
    return ServerThread(
        id=UUID(local.id),
        title=local.title,
        agent_id=local.agentId,
        model=local.model,
        provider=local.provider,
        created_at=ms_to_datetime(local.createdAt),
        updated_at=ms_to_datetime(local.updatedAt),
    )


def adopt_server_thread(local: LocalThread, server: ServerThread) -> LocalThread:
    """``local`` after its create succeeded: the server's ID and times, the rest kept.

    The old ID goes to ``aliases``; the title stays local (a rename queued while
    the create was in flight must not flicker back).
    """
    aliases = list(local.aliases)
    if local.id != str(server.id) and local.id not in aliases:
        aliases.append(local.id)
    return local.model_copy(
        update={
            "id": str(server.id),
            "agentId": server.agent_id,
            "model": server.model,
            "provider": server.provider,
            "createdAt": datetime_to_ms(server.created_at),
            "updatedAt": max(local.updatedAt, datetime_to_ms(server.updated_at)),
            "aliases": aliases,
        }
    )


# -- messages ------------------------------------------------------------------


def message_create(local: LocalMessage) -> MessageCreate:
    """The body that creates ``local`` on the server."""
    return MessageCreate(role=local.role, content=local.content)


def local_message(server: Message, *, client_id: str | None = None) -> LocalMessage:
    """A server message as the client stores it."""
    return LocalMessage(
        id=str(server.id),
        role=server.role,
        content=server.content,
        createdAt=datetime_to_ms(server.created_at),
        syncStatus="synced",
        clientId=client_id,
    )


def server_message(local: LocalMessage, thread_id: str) -> Message:
    """A local message as the server would return it (IDs must be server UUIDs)."""
    return Message(
        id=UUID(local.id),
        thread_id=UUID(thread_id),
        role=local.role,
        content=local.content,
        created_at=ms_to_datetime(local.createdAt),
    )


def adopt_server_message(local: LocalMessage, server: Message) -> LocalMessage:
    """``local`` after its create succeeded: the server's ID and time, its own ID kept."""
    return local_message(server, client_id=local.clientId or local.id)
