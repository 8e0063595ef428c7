"""SQLite through one sqlite3 connection used on the event loop itself.

A statement on a local file takes microseconds, far less than handing it to a
thread, so it runs inline. One connection serves every request: an asyncio lock
makes each statement or transaction whole, so nothing sees another request's
uncommitted rows. Another process that shares the file may hold the write lock:
then the connection does not wait inside SQLite (that would stall the loop) but
sleeps on the loop and tries again, up to a deadline.
"""

import asyncio
import functools
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from threadpact.provider.storage.base import (
    IntegrityViolation,
    Row,
    Statement,
    StorageBusy,
    StorageError,
)

T = TypeVar("T")

BUSY_DEADLINE_SECONDS = 30.0
BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
PLACEHOLDER = re.compile(r"\$(\d+)")


@functools.lru_cache(maxsize=256)
def to_sqlite(sql: str) -> str:
    """PostgreSQL's ``$1`` placeholders as SQLite's numbered ``?1``."""
    return PLACEHOLDER.sub(r"?\1", sql)


def _row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> Row:
    return {column[0]: value for column, value in zip(cursor.description, values, strict=True)}


def connect(path: str, *, uri: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit) with WAL on."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, uri=uri)
    connection.row_factory = _row
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=0")
    return connection


class _Statements:
    """The executor the transaction block gets: no locking, no retrying."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    def _run(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            return self._connection.execute(to_sqlite(sql), args)
        except sqlite3.IntegrityError as exc:
            raise IntegrityViolation(str(exc)) from exc
        except sqlite3.Error as exc:
            if getattr(exc, "sqlite_errorcode", None) in BUSY_CODES:
                raise
            raise StorageError(str(exc)) from exc

    async def fetch_one(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        row: Row | None = self._run(sql, args).fetchone()
        return row

    async def fetch_all(self, sql: str, *args: Any) -> list[Row]:
        """Every row of a query."""
        rows: list[Row] = self._run(sql, args).fetchall()
        return rows

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns how many rows it changed."""
        return self._run(sql, args).rowcount


class SqliteDatabase:
    """A SQLite file (or shared in-memory database) behind one connection."""

    backend = "sqlite"

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._statements = _Statements(connection)
        self._lock = asyncio.Lock()

    async def _patiently(self, attempt: Callable[[], T]) -> T:
        """Run ``attempt``; while another process holds the lock, sleep and retry."""
        deadline = time.monotonic() + BUSY_DEADLINE_SECONDS
        delay = 0.001
        while True:
            try:
                return attempt()
            except sqlite3.Error as exc:
                if getattr(exc, "sqlite_errorcode", None) not in BUSY_CODES:
                    raise StorageError(str(exc)) from exc
                if time.monotonic() + delay > deadline:
                    raise StorageBusy("the SQLite database stayed locked") from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def fetch_one(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        async with self._lock:
            row: Row | None = await self._patiently(
                lambda: self._statements._run(sql, args).fetchone()
            )
            return row

    async def fetch_all(self, sql: str, *args: Any) -> list[Row]:
        """Every row of a query."""
        async with self._lock:
            rows: list[Row] = await self._patiently(
                lambda: self._statements._run(sql, args).fetchall()
            )
            return rows

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns how many rows it changed."""
        async with self._lock:
            return await self._patiently(lambda: self._statements._run(sql, args).rowcount)

    async def claim_and_insert(self, claim: Statement, insert: Statement) -> bool:
        """Claim, then insert if the claim took: one transaction."""
        async with self.transaction() as transaction:
            if await transaction.execute(claim.sql, *claim.args) != 1:
                return False
            await transaction.execute(insert.sql, *insert.args)
            return True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Statements]:
        """``BEGIN IMMEDIATE`` (the write lock, taken up front) ... ``COMMIT``."""
        async with self._lock:
            await self._patiently(lambda: self._connection.execute("BEGIN IMMEDIATE"))
            try:
                yield self._statements
            except BaseException:
                self._connection.execute("ROLLBACK")
                raise
            try:
                self._connection.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._connection.in_transaction:
                    self._connection.execute("ROLLBACK")
                raise StorageError(str(exc)) from exc

    async def close(self) -> None:
        """Close the connection."""
        async with self._lock:
            self._connection.close()
