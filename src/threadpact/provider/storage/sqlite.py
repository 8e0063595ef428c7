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
import sqlite3
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from threadpact.provider.storage.base import (
    PLACEHOLDER,
    ClaimedInsert,
    IntegrityViolation,
    Row,
    StorageBusy,
    StorageError,
)

BUSY_DEADLINE_SECONDS = 30.0
BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


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


class _Locked(StorageBusy):
    """Another connection holds the lock this statement needs."""


def _execute(connection: sqlite3.Connection, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
    """Run one statement, turning sqlite3's errors into storage errors."""
    try:
        return connection.execute(to_sqlite(sql), args)
    except sqlite3.IntegrityError as exc:
        raise IntegrityViolation(str(exc)) from exc
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorcode", None) in BUSY_CODES:
            raise _Locked(str(exc)) from exc
        raise StorageError(str(exc)) from exc


class _Statements:
    """The executor a transaction block gets: it already holds the lock, so no retrying."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection

    async def fetch_one(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        row: Row | None = _execute(self._connection, sql, args).fetchone()
        return row

    async def fetch_all(self, sql: str, *args: Any) -> list[Row]:
        """Every row of a query."""
        rows: list[Row] = _execute(self._connection, sql, args).fetchall()
        return rows

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns how many rows it changed."""
        return _execute(self._connection, sql, args).rowcount


class SqliteDatabase:
    """A SQLite file (or shared in-memory database) behind one connection."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._connection = connection
        self._statements = _Statements(connection)
        self._lock = asyncio.Lock()

    async def _patiently(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        """Run a statement; while another process holds the lock, sleep and retry."""
        deadline = time.monotonic() + BUSY_DEADLINE_SECONDS
        delay = 0.001
        while True:
            try:
                return _execute(self._connection, sql, args)
            except _Locked as exc:
                if time.monotonic() + delay > deadline:
                    raise StorageBusy("the SQLite database stayed locked") from exc
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def fetch_one(self, sql: str, *args: Any) -> Row | None:
        """The first row of a query, or None."""
        async with self._lock:
            row: Row | None = (await self._patiently(sql, args)).fetchone()
            return row

    async def fetch_all(self, sql: str, *args: Any) -> list[Row]:
        """Every row of a query."""
        async with self._lock:
            rows: list[Row] = (await self._patiently(sql, args)).fetchall()
            return rows

    async def execute(self, sql: str, *args: Any) -> int:
        """Run a statement; returns how many rows it changed."""
        async with self._lock:
            return (await self._patiently(sql, args)).rowcount

    async def claim_and_insert(self, write: ClaimedInsert) -> bool:
        """Claim, then insert if the claim took: one transaction."""
        async with self.transaction() as transaction:
            if await transaction.execute(write.claim.sql, *write.claim.args) != 1:
                return False
            await transaction.execute(write.insert.sql, *write.insert.args)
            return True

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Statements]:
        """``BEGIN IMMEDIATE`` (the write lock, taken up front) ... ``COMMIT``."""
        async with self._lock:
            await self._patiently("BEGIN IMMEDIATE", ())
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
