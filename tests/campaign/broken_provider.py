"""The reference provider with one bug: a create commits its thread and its key apart.

    python -m tests.campaign.broken_provider serve --port N --database-url URL

It is ``threadpact serve`` except that an idempotent create inserts the resource in
one transaction and, after a pause (the rest of the request's work), claims the key
in another. Without faults it behaves; a provider killed between the two commits
leaves a thread with no key, and the client's retry (same key) makes a second one.
Only the fault campaign's combination of a kill mid-request and a retry shows it.
"""

import asyncio
import sys

from threadpact.cli import main
from threadpact.provider.storage.base import ClaimedInsert
from threadpact.provider.storage.postgres import PostgresDatabase
from threadpact.provider.storage.sqlite import SqliteDatabase

PAUSE = 0.05
"""Seconds between the two commits."""


async def claim_and_insert_apart(
    self: SqliteDatabase | PostgresDatabase, write: ClaimedInsert
) -> bool:
    """The bug: the insert and the claim of its key are two transactions."""
    await self.execute(write.insert.sql, *write.insert.args)
    await asyncio.sleep(PAUSE)
    return await self.execute(write.claim.sql, *write.claim.args) > 0


SqliteDatabase.claim_and_insert = claim_and_insert_apart  # type: ignore[method-assign,assignment]
PostgresDatabase.claim_and_insert = claim_and_insert_apart  # type: ignore[method-assign,assignment]

if __name__ == "__main__":
    sys.exit(main())
