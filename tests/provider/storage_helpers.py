"""What the storage tests share: a row to insert, a count, a database opened for one body."""

import asyncio
from collections.abc import Awaitable, Callable

from threadpact.provider.storage.base import Database
from threadpact.provider.storage.connect import open_database

BODY = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai", "title": "Refund"}
INSERT = (
    "INSERT INTO threads (id, owner, title, agent_id, model, provider, created_us,"
    " updated_us, version) VALUES ($1, $2, 't', 'a', 'm', 'p', 1, 1, 1)"
)
COUNT = "SELECT count(*) AS n FROM threads WHERE owner = $1"


def run(url: str, body: Callable[[Database], Awaitable[None]]) -> None:
    """Open the database at ``url``, run ``body`` on it, close it."""

    async def main() -> None:
        database = await open_database(url)
        try:
            await body(database)
        finally:
            await database.close()

    asyncio.run(main())


async def count(database: Database, owner: str) -> int:
    """How many threads ``owner`` has."""
    row = await database.fetch_one(COUNT, owner)
    assert row is not None
    return int(row["n"])
