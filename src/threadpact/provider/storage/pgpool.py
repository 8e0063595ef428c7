"""A lean pool of asyncpg connections.

asyncpg's own pool wraps every connection in a proxy and shields each release in a
new task. Even set up to be cheap (``reset`` a no-op, so no reset query on release;
``max_inactive_connection_lifetime=0``, so no idle timer), it served 9 to 20% fewer
reads a second than this pool in the same benchmark runs (``BENCH_PROVIDER_VERSUS``
in bench/provider.py), while two builds of the same code differed by 3%. This pool
only hands out idle connections, opens new ones up to a limit, queues callers
beyond it, and replaces a connection that failed in an unknown state.
"""

import asyncio
import collections
from typing import Any

import asyncpg
from asyncpg.exceptions import PostgresError

Connection = Any
"""An asyncpg connection (asyncpg has no type hints)."""


class PoolTimeout(TimeoutError):
    """No connection came free within the acquire timeout."""


class ConnectionPool:
    """Up to ``size`` connections to ``dsn``, opened when first needed."""

    def __init__(self, dsn: str, *, size: int, acquire_timeout: float) -> None:
        self._dsn = dsn
        self._size = size
        self._acquire_timeout = acquire_timeout
        self._idle: list[Connection] = []
        self._waiters: collections.deque[asyncio.Future[Connection | None]] = collections.deque()
        self._open = 0
        self._closed = False

    async def _connect(self) -> Connection:
        """Open one more connection; the slot is counted before the await."""
        self._open += 1
        try:
            connect: Any = asyncpg.connect
            return await connect(self._dsn, timeout=30)
        except BaseException:
            self._open -= 1
            self._hand_over(None)  # a waiter may open the slot this attempt freed
            raise

    async def acquire(self) -> Connection:
        """An idle connection, a new one, or (at the limit) the next one released."""
        if self._closed:
            raise RuntimeError("the connection pool is closed")
        while self._idle:
            idle = self._idle.pop()
            if not idle.is_closed():
                return idle
            self._open -= 1  # closed while idle (say, the server restarted)
        if self._open < self._size:
            return await self._connect()
        waiter: asyncio.Future[Connection | None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(self._acquire_timeout):
                connection = await waiter
        except BaseException as exc:
            if waiter.done() and not waiter.cancelled():
                # Handed a connection or a free slot just as we gave up: pass it on.
                handed = waiter.result()
                if handed is None:
                    self._hand_over(None)
                else:
                    self.release(handed)
            else:
                waiter.cancel()
            if isinstance(exc, TimeoutError):
                raise PoolTimeout("no PostgreSQL connection came free in time") from exc
            raise
        return connection if connection is not None else await self._connect()

    def _hand_over(self, connection: Connection | None) -> bool:
        """Give a connection (or, with None, a free slot) to the first live waiter."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

    def release(self, connection: Connection, *, discard: bool = False) -> None:
        """Take a connection back; it is closed instead if asked, or if it is unusable."""
        if discard or self._closed or connection.is_closed() or connection.is_in_transaction():
            self._discard(connection)
        elif not self._hand_over(connection):
            self._idle.append(connection)

    def _discard(self, connection: Connection) -> None:
        connection.terminate()
        self._open -= 1
        if not self._closed:
            self._hand_over(None)

    async def close(self) -> None:
        """Close the idle connections; those in use close when they come back."""
        self._closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            self._open -= 1
            try:
                await asyncio.wait_for(connection.close(), timeout=5)
            except (OSError, TimeoutError, PostgresError):
                connection.terminate()
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(RuntimeError("the connection pool is closed"))
