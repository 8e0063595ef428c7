"""The storage layer: transactions, SQLite's lock held by another process, the asyncpg pool."""

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.fixtures.databases import sqlite_url
from tests.fixtures.processes import TOKENS
from threadpact.provider import queries
from threadpact.provider.app import create_app
from threadpact.provider.config import Settings
from threadpact.provider.storage import sqlite as sqlite_storage
from threadpact.provider.storage.base import (
    ClaimedInsert,
    Database,
    IntegrityViolation,
    Statement,
    StorageBusy,
)
from threadpact.provider.storage.connect import open_database
from threadpact.provider.storage.pgpool import ConnectionPool, PoolTimeout
from threadpact.provider.storage.urls import parse_url

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
    row = await database.fetch_one(COUNT, owner)
    assert row is not None
    return int(row["n"])


def test_a_transaction_commits_or_rolls_back_whole(database_url: str) -> None:
    async def body(database: Database) -> None:
        async with database.transaction() as transaction:
            await transaction.execute(INSERT, str(uuid.uuid4()), "kept")
            await transaction.execute(INSERT, str(uuid.uuid4()), "kept")

        async def fails() -> None:
            async with database.transaction() as transaction:
                await transaction.execute(INSERT, str(uuid.uuid4()), "dropped")
                raise RuntimeError("the block fails")

        with pytest.raises(RuntimeError):
            await fails()
        assert await count(database, "kept") == 2
        assert await count(database, "dropped") == 0

    run(database_url, body)


def test_a_broken_constraint_is_an_integrity_violation(database_url: str) -> None:
    async def body(database: Database) -> None:
        with pytest.raises(IntegrityViolation):
            await database.execute(
                "INSERT INTO messages (id, thread_id, role, content, created_us)"
                " VALUES ($1, $2, 'user', 'hi', 1)",
                str(uuid.uuid4()),
                str(uuid.uuid4()),  # no such thread
            )
        # The connection is still good afterwards.
        assert await count(database, "nobody") == 0

    run(database_url, body)


def test_placeholders_are_numbered_for_sqlite() -> None:
    converted = sqlite_storage.to_sqlite("a = $1 AND b = $12 OR c = $1")
    assert converted == "a = ?1 AND b = ?12 OR c = ?1"


def test_bad_urls_are_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="unsupported database 'mysql'"):
        parse_url("mysql://localhost/db")
    with pytest.raises(Exception, match="does not exist"):
        parse_url(sqlite_url(tmp_path / "no" / "such" / "folder.db"))
    assert parse_url("sqlite+aiosqlite:///x.db").url == "sqlite:///x.db"
    assert parse_url("postgresql+asyncpg://u:p@h/db").url == "postgresql://u:p@h/db"


def test_an_in_memory_database_works() -> None:
    async def body(database: Database) -> None:
        await database.execute(INSERT, str(uuid.uuid4()), "memory")
        assert await count(database, "memory") == 1

    run("sqlite://", body)


def hold_write_lock(path: Path) -> sqlite3.Connection:
    """Another process's writer, as SQLite sees it: a second connection in BEGIN IMMEDIATE."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_sqlite_waits_for_another_writer_without_stalling_the_loop(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"

    async def main() -> None:
        database = await open_database(sqlite_url(path))
        other = hold_write_lock(path)
        try:

            async def write() -> None:
                async with database.transaction() as transaction:
                    await transaction.execute(INSERT, str(uuid.uuid4()), "waited")

            writer = asyncio.create_task(write())
            ticks = 0
            started = time.monotonic()
            while time.monotonic() - started < 0.3:
                await asyncio.sleep(0.01)
                ticks += 1
            assert not writer.done()  # still waiting for the lock...
            assert ticks >= 10  # ...while the event loop kept running
            other.execute("COMMIT")
            await asyncio.wait_for(writer, timeout=5)
            assert await count(database, "waited") == 1
        finally:
            other.close()
            await database.close()

    asyncio.run(main())


def test_a_lock_held_past_the_deadline_is_a_503(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sqlite_storage, "BUSY_DEADLINE_SECONDS", 0.3)
    path = tmp_path / "locked.db"
    settings = Settings(database_url=sqlite_url(path), tokens={TOKENS["alice"]: "alice"})
    app = create_app(settings)

    async def main() -> httpx.Response:
        async with app.router.lifespan_context(app):
            other = hold_write_lock(path)
            try:
                async with httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app),
                    base_url="http://t",
                    headers={"Authorization": f"Bearer {TOKENS['alice']}"},
                ) as client:
                    return await client.post(
                        "/threads", json=BODY, headers={"Idempotency-Key": "locked"}
                    )
            finally:
                other.close()

    answer = asyncio.run(main())
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"
    assert answer.json()["type"].endswith("database-busy")


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


def test_expired_keys_are_purged_in_batches(database_url: str) -> None:
    from threadpact.provider.idempotency import purge_expired

    async def body(database: Database) -> None:
        for index in range(25):
            await database.execute(
                "INSERT INTO idempotency_keys (principal, operation, key, fingerprint,"
                " status_code, body, location, etag, created_us, expires_us)"
                " VALUES ('p', 'createThread', $1, 'f', 201, $2, '/x', NULL, 0, $3)",
                f"key-{index}",
                b"{}",
                100 if index < 23 else 10_000,  # two keys are still live at 1000
            )
        assert await purge_expired(database, 1000, batch=5) == 23
        left = await database.fetch_all("SELECT key FROM idempotency_keys ORDER BY key")
        assert [row["key"] for row in left] == ["key-23", "key-24"]

    run(database_url, body)


def test_claim_and_insert_is_both_or_neither(database_url: str) -> None:
    async def body(database: Database) -> None:
        thread = str(uuid.uuid4())
        await database.execute(INSERT, thread, "claims")

        def attempt(key: str, parent: str) -> ClaimedInsert:
            claim_args = ("claims", "createMessage", key, "f", 201, b"{}", "/x", None, 0, 10)
            message_args = (str(uuid.uuid4()), parent, "user", key, 1)
            return ClaimedInsert(
                Statement(queries.CLAIM_KEY, claim_args),
                Statement(queries.INSERT_MESSAGE, message_args),
                queries.CLAIM_KEY_AND_INSERT_MESSAGE,
            )

        assert await database.claim_and_insert(attempt("one", thread)) is True
        assert await database.claim_and_insert(attempt("one", thread)) is False  # key live
        with pytest.raises(IntegrityViolation):
            await database.claim_and_insert(attempt("two", str(uuid.uuid4())))  # no parent
        keys = await database.fetch_all("SELECT key FROM idempotency_keys ORDER BY key")
        contents = await database.fetch_all("SELECT content FROM messages")
        assert [row["key"] for row in keys] == ["one"]  # "two" was undone with its insert
        assert [row["content"] for row in contents] == ["one"]

    run(database_url, body)


@pytest.mark.parametrize(
    ("combined", "insert"),
    [
        (queries.CLAIM_KEY_AND_INSERT_THREAD, queries.INSERT_THREAD),
        (queries.CLAIM_KEY_AND_INSERT_MESSAGE, queries.INSERT_MESSAGE),
    ],
)
def test_a_combined_statement_is_the_claim_then_the_insert(combined: str, insert: str) -> None:
    claim, _, rest = combined.removeprefix("WITH claim AS (").partition(" RETURNING 1) ")
    assert claim == queries.CLAIM_KEY
    into, _, values = insert.partition(" VALUES (")
    arity = values.count("$")
    shifted = ", ".join(f"${number}" for number in range(11, 11 + arity))
    assert rest == f"{into} SELECT {shifted} WHERE EXISTS (SELECT 1 FROM claim)"


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
