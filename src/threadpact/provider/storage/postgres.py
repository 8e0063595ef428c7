"""PostgreSQL through asyncpg (prepared statements are cached per connection)."""

import contextlib
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from asyncpg.exceptions import (
    IntegrityConstraintViolationError,
    InterfaceError,
    PostgresError,
)

from threadpact.provider.storage.base import (
    ClaimedInsert,
    IntegrityViolation,
    Row,
    StorageBusy,
    StorageError,
)
from threadpact.provider.storage.pgpool import ConnectionPool, PoolTimeout

T = TypeVar("T")

POOL_SIZE = 20
ACQUIRE_TIMEOUT_SECONDS = 60.0


async def _mapped(call: Awaitable[T]) -> T:
    """Await ``call``, turning driver errors into storage errors."""
    try:
        return await call
    except IntegrityConstraintViolationError as exc:
        raise IntegrityViolation(str(exc)) from exc
    except PoolTimeout as exc:  # before OSError, which TimeoutError is
        raise StorageBusy(str(exc)) from exc
    except (PostgresError, InterfaceError, OSError) as exc:
        raise StorageError(str(exc)) from exc


def _changed(status: str) -> int:
    """Rows changed, from a command tag such as ``INSERT 0 1`` or ``DELETE 3``."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


class _Connection:
    """One leased connection as an executor: for a single statement or a transaction block."""

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

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool

    @classmethod
    async def open(cls, dsn: str) -> "PostgresDatabase":
        """A pool for ``dsn`` (a plain ``postgresql://`` URL), checked with one connection."""
        database = cls(ConnectionPool(dsn, size=POOL_SIZE, acquire_timeout=ACQUIRE_TIMEOUT_SECONDS))
        await database.execute("SELECT 1")  # fail now, not on the first request
        return database

    @asynccontextmanager
    async def _lease(self) -> AsyncIterator[_Connection]:
        """A pooled connection for the block; one left in an unknown state is replaced."""
        connection = await _mapped(self._pool.acquire())
        discard = False
        try:
            yield _Connection(connection)
        except Exception:
            # A refused statement or the block's own error (a 404, say): no statement is
            # in flight, and release() closes the connection if it is broken or still in
            # a transaction.
            raise
        except BaseException:
            discard = True  # cancelled, perhaps mid-statement
            raise
        finally:
            self._pool.release(connection, discard=discard)

    async def fetch_one(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        async with self._lease() as connection:
            return await connection.fetch_one(sql, *args)

    async def fetch_all(self, sql: str, *args: Any) -> list[Row]:
        """Every row of a query."""
        async with self._lease() as connection:
            return await connection.fetch_all(sql, *args)

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns how many rows it changed."""
        async with self._lease() as connection:
            return await connection.execute(sql, *args)

    async def claim_and_insert(self, write: ClaimedInsert) -> bool:
        """Claim, then insert if the claim took: ``write.combined_sql``, one statement.

        One round trip instead of five (BEGIN, claim, insert, COMMIT and the pool's
        bookkeeping), and still all or nothing.
        """
        args = (*write.claim.args, *write.insert.args)
        return await self.execute(write.combined_sql, *args) == 1

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Connection]:
        """One connection in a READ COMMITTED transaction."""
        async with self._lease() as connection:
            await connection.execute("BEGIN")
            try:
                yield connection
            except BaseException:
                with contextlib.suppress(Exception):  # the block's error is the one to report
                    await connection.execute("ROLLBACK")
                raise
            await connection.execute("COMMIT")

    async def close(self) -> None:
        """Close every pooled connection."""
        await self._pool.close()
