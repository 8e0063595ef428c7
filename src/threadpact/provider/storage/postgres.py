"""PostgreSQL through an asyncpg pool (prepared statements are cached per connection)."""

import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import asyncpg
from asyncpg.exceptions import (
    IntegrityConstraintViolationError,
    InterfaceError,
    PostgresError,
)

from threadpact.provider.storage.base import IntegrityViolation, Row, StorageBusy, StorageError

T = TypeVar("T")

POOL_MIN = 2
POOL_MAX = 20
ACQUIRE_TIMEOUT_SECONDS = 60.0


async def _mapped(call: Awaitable[T]) -> T:
    """Await ``call``, turning driver errors into storage errors."""
    try:
        return await call
    except IntegrityConstraintViolationError as exc:
        raise IntegrityViolation(str(exc)) from exc
    except (PostgresError, InterfaceError, OSError) as exc:
        raise StorageError(str(exc)) from exc
    except TimeoutError as exc:
        raise StorageBusy("no PostgreSQL connection came free in time") from exc


async def _keep_session(_connection: Any) -> None:
    """Skip asyncpg's reset query on release (a round trip per statement).

    asyncpg still rolls back a transaction left open. The provider sets no session
    state, listens to nothing and takes no session-level advisory locks, so there
    is nothing else to reset.
    """


def _changed(status: str) -> int:
    """Rows changed, from a command tag such as ``INSERT 0 1`` or ``DELETE 3``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _Connection:
    """The executor a transaction block gets: one connection, inside its transaction."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    async def fetch_one(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        record = await _mapped(self._connection.fetchrow(sql, *args))
        return None if record is None else dict(record)

    async def fetch_all(self, sql: str, *args: Any) -> list[Row]:
        """Every row of a query."""
        return [dict(record) for record in await _mapped(self._connection.fetch(sql, *args))]

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns how many rows it changed."""
        return _changed(await _mapped(self._connection.execute(sql, *args)))


class PostgresDatabase:
    """A PostgreSQL database behind a pool of connections."""

    backend = "postgresql"

    def __init__(self, pool: Any) -> None:
        self._pool = pool
        self._any = _Connection(pool)  # the pool runs one statement on any free connection

    @classmethod
    async def open(cls, dsn: str) -> "PostgresDatabase":
        """Connect a pool to ``dsn`` (a plain ``postgresql://`` URL)."""
        create_pool: Any = asyncpg.create_pool  # asyncpg has no type hints
        pool = await _mapped(
            create_pool(dsn, min_size=POOL_MIN, max_size=POOL_MAX, timeout=30, reset=_keep_session)
        )
        return cls(pool)

    async def fetch_one(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        return await self._any.fetch_one(sql, *args)

    async def fetch_all(self, sql: str, *args: Any) -> list[Row]:
        """Every row of a query."""
        return await self._any.fetch_all(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns how many rows it changed."""
        return await self._any.execute(sql, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Connection]:
        """One connection in a READ COMMITTED transaction."""
        connection = await _mapped(self._pool.acquire(timeout=ACQUIRE_TIMEOUT_SECONDS))
        try:
            transaction = connection.transaction()
            await _mapped(transaction.start())
            try:
                yield _Connection(connection)
            except BaseException:
                with contextlib.suppress(Exception):  # the block's error is the one to report
                    await transaction.rollback()
                raise
            await _mapped(transaction.commit())
        finally:
            await self._pool.release(connection)

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._pool.close()
