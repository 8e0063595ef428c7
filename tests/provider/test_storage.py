"""The storage layer: transactions, SQLite's lock held by another process, idempotent inserts."""

import asyncio
import sqlite3
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.fixtures.processes import TOKENS
from tests.provider.storage_helpers import BODY, INSERT, count, run
from threadpact.conformance.databases import sqlite_url
from threadpact.provider import queries
from threadpact.provider.app import create_app
from threadpact.provider.config import Settings
from threadpact.provider.storage import sqlite as sqlite_storage
from threadpact.provider.storage.base import (
    ClaimedInsert,
    Database,
    IntegrityViolation,
    Statement,
)
from threadpact.provider.storage.connect import open_database
from threadpact.provider.storage.urls import parse_url


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
            answer = (201, b"{}", f"/threads/{parent}/messages/{key}", None)
            claim_args = ("claims", "createMessage", key, "f", *answer, parent, 0)
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
