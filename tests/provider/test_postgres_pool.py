"""The PostgreSQL connection pool: queueing, timeouts, cancelled statements, dead connections."""

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx
import pytest

from tests.fixtures.processes import TOKENS
from tests.provider.storage_helpers import INSERT, count, run
from threadpact.provider.app import create_app
from threadpact.provider.config import Settings
from threadpact.provider.storage.base import Database, StorageBusy
from threadpact.provider.storage.pgpool import ConnectionPool, PoolTimeout
from threadpact.provider.storage.urls import parse_url


def pool_test(postgres_url: str, body: Callable[[ConnectionPool], Awaitable[None]]) -> None:
    async def main() -> None:
        pool = ConnectionPool(parse_url(postgres_url).url, size=2, acquire_timeout=0.5)
        try:
            await body(pool)
        finally:
            await pool.close()

    asyncio.run(main())


async def backend_pid(connection: Any) -> int:
    return int(await connection.fetchval("SELECT pg_backend_pid()"))


@pytest.mark.postgres
def test_the_pool_queues_callers_beyond_its_size(postgres_url: str) -> None:
    async def body(pool: ConnectionPool) -> None:
        first, second = await pool.acquire(), await pool.acquire()
        third = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.1)
        assert not third.done()  # no third connection is opened
        pool.release(second)
        assert await asyncio.wait_for(third, 1) is second
        pool.release(first)
        pool.release(second)

    pool_test(postgres_url, body)


@pytest.mark.postgres
def test_the_pool_gives_up_after_its_timeout(postgres_url: str) -> None:
    async def body(pool: ConnectionPool) -> None:
        held = [await pool.acquire(), await pool.acquire()]
        with pytest.raises(PoolTimeout):
            await pool.acquire()
        for connection in held:
            pool.release(connection)
        pool.release(await pool.acquire())  # the pool still works

    pool_test(postgres_url, body)


@pytest.mark.postgres
def test_the_pool_replaces_a_broken_connection(postgres_url: str) -> None:
    async def body(pool: ConnectionPool) -> None:
        first, second = await pool.acquire(), await pool.acquire()
        waiting = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.05)
        broken_pid = await backend_pid(first)
        first.terminate()
        pool.release(first)  # closed: discarded, and the waiter opens a new one
        fresh = await asyncio.wait_for(waiting, 5)
        assert not fresh.is_closed()
        assert await backend_pid(fresh) != broken_pid
        pool.release(fresh)
        pool.release(second)

    pool_test(postgres_url, body)


@pytest.mark.postgres
def test_a_waiter_cancelled_as_it_is_handed_a_slot_passes_the_slot_on(postgres_url: str) -> None:
    async def body(pool: ConnectionPool) -> None:
        first, second = await pool.acquire(), await pool.acquire()
        leaving = asyncio.create_task(pool.acquire())
        staying = asyncio.create_task(pool.acquire())
        await asyncio.sleep(0.05)
        first.terminate()
        pool.release(first)  # the first waiter is handed the freed slot...
        leaving.cancel()  # ...and cancelled before it can use it
        with pytest.raises(asyncio.CancelledError):
            await leaving
        pool.release(second)
        fresh = await asyncio.wait_for(staying, 5)
        assert await fresh.fetchval("SELECT 1") == 1
        pool.release(fresh)
        again = [await pool.acquire(), await pool.acquire()]  # both slots still there
        for connection in again:
            pool.release(connection)

    pool_test(postgres_url, body)


@pytest.mark.postgres
def test_a_cancelled_statement_does_not_poison_the_pool(postgres_url: str) -> None:
    async def body(database: Database) -> None:
        slow = asyncio.create_task(database.fetch_one("SELECT pg_sleep(30)"))
        await asyncio.sleep(0.3)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        for _ in range(30):  # more statements than the pool has connections
            assert await database.fetch_one("SELECT 1 AS one") == {"one": 1}

    run(postgres_url, body)


def small_pool(monkeypatch: pytest.MonkeyPatch, size: int, acquire_timeout: float = 60.0) -> None:
    """Open PostgreSQL databases with ``size`` connections and this acquire timeout."""
    from threadpact.provider.storage import postgres

    monkeypatch.setattr(postgres, "POOL_SIZE", size)
    monkeypatch.setattr(postgres, "ACQUIRE_TIMEOUT_SECONDS", acquire_timeout)


async def server_pid(database: Database) -> int:
    """The server process behind the connection the next statement gets."""
    row = await database.fetch_one("SELECT pg_backend_pid() AS pid")
    assert row is not None
    return int(row["pid"])


@pytest.mark.postgres
def test_a_full_pool_is_storage_busy(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    small_pool(monkeypatch, 1, acquire_timeout=0.3)

    async def body(database: Database) -> None:
        async with database.transaction():
            with pytest.raises(StorageBusy):
                await database.fetch_one("SELECT 1")

    run(postgres_url, body)


@pytest.mark.postgres
def test_a_full_pool_answers_503(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    small_pool(monkeypatch, 1, acquire_timeout=0.3)
    app = create_app(Settings(database_url=postgres_url, tokens={TOKENS["alice"]: "alice"}))

    async def main() -> tuple[httpx.Response, httpx.Response]:
        async with app.router.lifespan_context(app):
            database: Database = app.state.database
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app),
                base_url="http://t",
                headers={"Authorization": f"Bearer {TOKENS['alice']}"},
            ) as client:
                async with database.transaction():  # holds the only connection
                    busy = await client.get("/threads")
                return busy, await client.get("/threads")

    busy, after = asyncio.run(main())
    assert busy.status_code == 503
    assert busy.headers["content-type"] == "application/problem+json"
    assert busy.headers["retry-after"] == "1"
    assert busy.json()["type"].endswith("database-busy")
    assert after.status_code == 200


@pytest.mark.postgres
def test_a_statement_cancelled_in_a_transaction_rolls_it_back(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_pool(monkeypatch, 1)

    async def body(database: Database) -> None:
        async def slow_transaction() -> None:
            async with database.transaction() as transaction:
                await transaction.execute(INSERT, str(uuid.uuid4()), "cancelled")
                await transaction.fetch_one("SELECT pg_sleep(30)")

        slow = asyncio.create_task(slow_transaction())
        await asyncio.sleep(0.3)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        assert await count(database, "cancelled") == 0
        await database.execute(INSERT, str(uuid.uuid4()), "after")
        assert await count(database, "after") == 1

    run(postgres_url, body)


@pytest.mark.postgres
def test_a_connection_that_died_idle_is_replaced(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    small_pool(monkeypatch, 1)

    async def body(database: Database) -> None:
        before = await server_pid(database)
        killer = await asyncpg.connect(postgres_url, timeout=10)
        try:
            assert await killer.fetchval("SELECT pg_terminate_backend($1)", before)
        finally:
            await killer.close()
        await asyncio.sleep(0.3)  # the server has closed it while it sat idle in the pool
        assert await server_pid(database) != before

    run(postgres_url, body)


@pytest.mark.postgres
def test_an_error_inside_a_transaction_keeps_the_connection(postgres_url: str) -> None:
    async def body(database: Database) -> None:
        before = await server_pid(database)
        with pytest.raises(LookupError):
            await fail_inside_a_transaction(database)
        assert await server_pid(database) == before  # rolled back and reused, not reconnected

    run(postgres_url, body)


async def fail_inside_a_transaction(database: Database) -> None:
    async with database.transaction() as transaction:
        await transaction.execute(INSERT, str(uuid.uuid4()), "rolled-back")
        raise LookupError("a 404 raised inside the block")
