"""The data behind the test-mode provider states: start empty, or with a thread."""

from collections.abc import Callable

from threadpact.models import MessageCreate, ThreadCreate
from threadpact.provider import queries
from threadpact.provider.service import messages, threads
from threadpact.provider.storage.base import Database


async def remove_everything(database: Database, owner: str) -> None:
    """Delete the owner's threads (their messages go with them) and idempotency keys."""
    async with database.transaction() as transaction:
        await transaction.execute(queries.DELETE_OWNER_THREADS, owner)
        await transaction.execute(queries.DELETE_PRINCIPAL_KEYS, owner)


async def add_thread(
    database: Database,
    owner: str,
    body: ThreadCreate,
    now_us: Callable[[], int],
    message_count: int = 0,
) -> dict[str, str]:
    """A new thread with ``message_count`` messages (user, assistant, user...), together.

    Returns the new ``thread_id`` and, if there are messages, the first ``message_id``.
    """
    created: dict[str, str] = {}
    async with database.transaction() as transaction:
        # threads.thread_insert is looked up when called (a broken provider in the test
        # suite swaps it).
        answer, insert = threads.thread_insert(owner, body, now_us())
        await transaction.execute(insert.sql, *insert.args)
        thread_id = answer.location.rsplit("/", 1)[1]
        created["thread_id"] = thread_id
        for index in range(message_count):
            message = MessageCreate(
                role="user" if index % 2 == 0 else "assistant", content=f"message {index + 1}"
            )
            reply, insert = messages.message_insert(thread_id, message, now_us())
            await transaction.execute(insert.sql, *insert.args)
            created.setdefault("message_id", reply.location.rsplit("/", 1)[1])
    return created
