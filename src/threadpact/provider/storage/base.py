"""What the routes see of a database: run SQL, in a transaction or not."""

import re
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

Row = dict[str, Any]
"""One result row, by column name."""

PLACEHOLDER = re.compile(r"\$(\d+)")
"""A ``$1``-style placeholder; its number is group 1."""


@dataclass(frozen=True)
class Statement:
    """One SQL statement and its arguments; placeholders are PostgreSQL's ``$1``, ``$2``..."""

    sql: str
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class ClaimedInsert:
    """An insert that happens only if a claim changes a row: both or neither."""

    claim: Statement
    insert: Statement
    combined_sql: str
    """The two as one statement that takes the claim's arguments, then the insert's."""


class StorageError(Exception):
    """The database failed in a way the request cannot recover from."""


class IntegrityViolation(StorageError):
    """A constraint refused a write (e.g. the parent row of a foreign key is gone)."""


class StorageBusy(StorageError):
    """The database stayed locked by another process for longer than the busy deadline."""


class Executor(Protocol):
    """Runs SQL; placeholders are ``$1``, ``$2``... on every backend."""

    async def fetch_one(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        ...

    async def fetch_all(self, sql: str, *args: Any) -> list[Row]:
        """Every row of a query."""
        ...

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns how many rows it changed."""
        ...


class Database(Executor, Protocol):
    """A database that statements run on one at a time, or together in a transaction."""

    async def claim_and_insert(self, write: ClaimedInsert) -> bool:
        """Run the claim; if it changed a row, run the insert too, both or neither.

        Returns whether the claim took. PostgreSQL runs ``write.combined_sql``, SQLite
        the two statements in one transaction. A constraint that refuses the insert
        undoes the claim and raises IntegrityViolation.
        """
        ...

    def transaction(self) -> AbstractAsyncContextManager[Executor]:
        """A transaction that commits when the block ends and rolls back if it raises."""
        ...

    async def close(self) -> None:
        """Release every connection."""
        ...
