"""An Idempotency-Key stays bound to what it created; the retention window starts at deletion.

Real providers with a one-second window (their purge runs every second), and the app in
process with a clock the test moves, purging by hand, on SQLite and PostgreSQL.
"""

import asyncio
import sqlite3
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from tests.fixtures.processes import TOKENS, start_provider
from threadpact.provider.app import create_app
from threadpact.provider.config import Settings
from threadpact.provider.idempotency import purge_expired
from threadpact.provider.storage.base import Database
from threadpact.provider.storage.connect import open_database
from threadpact.provider.storage.migrate import MIGRATIONS
from threadpact.provider.storage.urls import parse_url
from threadpact.provider.tables import metadata

BODY = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai", "title": "Refund"}
OTHER_BODY = {**BODY, "title": "Something else"}
MESSAGE = {"role": "user", "content": "hello"}
OTHER_MESSAGE = {"role": "user", "content": "goodbye"}
RETENTION = "1"
PAST_THE_WINDOW = 2.5
"""Seconds: more than the window plus one interval of the purge loop (one second)."""
OLDER_THAN_THE_WINDOW = 1.3
KEYS = "SELECT key, expires_us FROM idempotency_keys WHERE principal = $1"


def new_thread(client: httpx.Client, key: str, body: object = BODY) -> httpx.Response:
    return client.post("/threads", json=body, headers={"Idempotency-Key": key})


def new_message(
    client: httpx.Client, thread: str, key: str, body: object = MESSAGE
) -> httpx.Response:
    return client.post(f"{thread}/messages", json=body, headers={"Idempotency-Key": key})


def thread_ids(client: httpx.Client) -> list[str]:
    return [item["id"] for item in client.get("/threads", params={"limit": 100}).json()["items"]]


def message_ids(client: httpx.Client, thread: str) -> list[str]:
    page = client.get(f"{thread}/messages", params={"limit": 100}).json()
    return [item["id"] for item in page["items"]]


def key_rows(url: str, principal: str) -> dict[str, int | None]:
    """The principal's stored keys and when each expires (None: never, for now)."""

    async def main() -> dict[str, int | None]:
        database = await open_database(url)
        try:
            rows = await database.fetch_all(KEYS, principal)
        finally:
            await database.close()
        return {row["key"]: row["expires_us"] for row in rows}

    return asyncio.run(main())


def assert_replayed(again: httpx.Response, first: httpx.Response) -> None:
    assert again.status_code == first.status_code == 201
    assert again.content == first.content
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.headers["Location"] == first.headers["Location"]


def assert_created_anew(fresh: httpx.Response, first: httpx.Response) -> None:
    assert fresh.status_code == 201
    assert "Idempotent-Replayed" not in fresh.headers
    assert fresh.json()["id"] != first.json()["id"]


@pytest.mark.slow
def test_keys_of_live_resources_outlive_the_window(tmp_path: Path, database_url: str) -> None:
    server = start_provider(database_url, tmp_path / "log", "--key-retention", RETENTION)
    try:
        with server.client("alice") as client:
            thread = new_thread(client, "thread-key")
            location = thread.headers["Location"]
            message = new_message(client, location, "message-key")
            assert message.status_code == 201
            # A witness: the key of a deleted thread, which the purge must take.
            witness = new_thread(client, "witness", {**BODY, "title": "gone"})
            assert client.delete(witness.headers["Location"]).status_code == 204
            time.sleep(PAST_THE_WINDOW)

            assert_replayed(new_thread(client, "thread-key"), thread)
            assert new_thread(client, "thread-key", OTHER_BODY).status_code == 422
            assert thread_ids(client) == [thread.json()["id"]]

            assert_replayed(new_message(client, location, "message-key"), message)
            assert new_message(client, location, "message-key", OTHER_MESSAGE).status_code == 422
            assert message_ids(client, location) == [message.json()["id"]]
    finally:
        server.stop()
    # A purge ran (the witness went) and left the keys of what still exists, unexpiring.
    assert key_rows(database_url, "alice") == {"thread-key": None, "message-key": None}


@pytest.mark.slow
def test_the_window_starts_when_the_thread_is_deleted(tmp_path: Path, database_url: str) -> None:
    server = start_provider(database_url, tmp_path / "log", "--key-retention", RETENTION)
    try:
        with server.client("alice") as client:
            doomed = new_thread(client, "thread-key")
            location = doomed.headers["Location"]
            message = new_message(client, location, "message-key")
            kept = new_thread(client, "kept", {**BODY, "title": "kept"})
            elsewhere = kept.headers["Location"]
            time.sleep(OLDER_THAN_THE_WINDOW)  # only the deletion starts the window
            assert client.delete(location).status_code == 204

            # Inside the window after the deletion the keys still count.
            assert_replayed(new_thread(client, "thread-key"), doomed)
            assert new_message(client, location, "message-key").status_code == 404
            assert new_message(client, elsewhere, "message-key").status_code == 422
            assert thread_ids(client) == [kept.json()["id"]]

            time.sleep(PAST_THE_WINDOW)
            assert set(key_rows(database_url, "alice")) == {"kept"}  # a purge ran
            fresh = new_thread(client, "thread-key")
            assert_created_anew(fresh, doomed)
            assert thread_ids(client) == [fresh.json()["id"], kept.json()["id"]]
            reused = new_message(client, elsewhere, "message-key")
            assert_created_anew(reused, message)
            assert message_ids(client, elsewhere) == [reused.json()["id"]]
    finally:
        server.stop()


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


HOUR = 3600
PRINCIPALS = {TOKENS["alice"]: "alice", TOKENS["bob"]: "bob"}


async def _purge_with_clock(url: str) -> None:
    clock = FakeClock()
    settings = Settings(
        database_url=url, tokens=PRINCIPALS, key_retention_seconds=HOUR, clock=clock
    )
    app = create_app(settings)

    async def purge() -> int:
        database: Database = app.state.database
        return await purge_expired(database, int(clock.now * 1_000_000))

    async def keys(principal: str = "alice") -> set[str]:
        database: Database = app.state.database
        return {row["key"] for row in await database.fetch_all(KEYS, principal)}

    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        alice = {"Authorization": f"Bearer {TOKENS['alice']}"}
        bob = {"Authorization": f"Bearer {TOKENS['bob']}"}
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://t", headers=alice) as api,
            httpx.AsyncClient(transport=transport, base_url="http://t", headers=bob) as bobs,
        ):

            async def thread(key: str, body: object = BODY) -> httpx.Response:
                return await api.post("/threads", json=body, headers={"Idempotency-Key": key})

            async def message(where: str, key: str, body: object = MESSAGE) -> httpx.Response:
                headers = {"Idempotency-Key": key}
                return await api.post(f"{where}/messages", json=body, headers=headers)

            doomed = await thread("a")
            doomed_message = await message(doomed.headers["Location"], "a-message")
            kept = await thread("b", {**BODY, "title": "kept"})
            kept_message = await message(kept.headers["Location"], "b-message")
            # Bob's key "a" is his own: alice's deletion leaves it bound.
            bobs_headers = {"Idempotency-Key": "a"}
            bobs_thread = await bobs.post("/threads", json=BODY, headers=bobs_headers)

            clock.now += 1000 * HOUR
            assert await purge() == 0
            assert_replayed(await thread("a"), doomed)
            assert_replayed(await message(kept.headers["Location"], "b-message"), kept_message)
            assert (await thread("b", OTHER_BODY)).status_code == 422

            assert (await api.delete(doomed.headers["Location"])).status_code == 204
            clock.now += HOUR - 1
            assert await purge() == 0
            assert_replayed(await thread("a"), doomed)
            elsewhere = kept.headers["Location"]
            assert (await message(elsewhere, "a-message")).status_code == 422

            clock.now += 2
            assert await purge() == 2  # the deleted thread's key and its message's
            assert await keys() == {"b", "b-message"}
            assert await keys("bob") == {"a"}
            assert_replayed(
                await bobs.post("/threads", json=BODY, headers=bobs_headers), bobs_thread
            )
            fresh = await thread("a")
            assert_created_anew(fresh, doomed)
            assert_created_anew(await message(elsewhere, "a-message"), doomed_message)

            # A key of a deleted thread that expires while the server is down...
            assert (await api.delete(fresh.headers["Location"])).status_code == 204
    clock.now += HOUR
    # ...goes in the purge the server runs as it starts.
    async with app.router.lifespan_context(app):
        assert await keys() == {"b", "b-message", "a-message"}


def test_the_purge_takes_the_keys_of_deleted_threads_only(database_url: str) -> None:
    asyncio.run(_purge_with_clock(database_url))


async def _creates_racing_a_delete(url: str) -> None:
    clock = FakeClock()
    settings = Settings(
        database_url=url, tokens=PRINCIPALS, key_retention_seconds=HOUR, clock=clock
    )
    app = create_app(settings)
    alice = {"Authorization": f"Bearer {TOKENS['alice']}"}
    async with app.router.lifespan_context(app):
        database: Database = app.state.database
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers=alice
        ) as api:
            for round_ in range(5):
                thread = await api.post(
                    "/threads", json=BODY, headers={"Idempotency-Key": f"thread-{round_}"}
                )
                where = thread.headers["Location"]
                keys = [f"message-{round_}-{index}" for index in range(20)]
                creates = [
                    api.post(f"{where}/messages", json=MESSAGE, headers={"Idempotency-Key": key})
                    for key in keys
                ]
                *answers, deleted = await asyncio.gather(*creates, api.delete(where))
                assert deleted.status_code == 204
                assert {answer.status_code for answer in answers} <= {201, 404}
                made = {key for key, answer in zip(keys, answers, strict=True) if answer.is_success}
                rows = await database.fetch_all(
                    "SELECT key, expires_us FROM idempotency_keys WHERE thread_id = $1",
                    thread.json()["id"],
                )
                # Every message that was made has its key, and no key outlives the thread.
                assert {row["key"] for row in rows} == {f"thread-{round_}", *made}
                assert all(row["expires_us"] is not None for row in rows)


def test_no_key_outlives_a_thread_deleted_while_messages_are_created(database_url: str) -> None:
    asyncio.run(_creates_racing_a_delete(database_url))


def on_connection(url: str, work: Callable[[Connection], None]) -> None:
    """Run ``work`` on a SQLAlchemy connection to ``url``, in one transaction."""
    where = parse_url(url)
    if where.backend == "sqlite":
        target, uri = where.sqlite_target()
        engine = create_engine(
            "sqlite://", creator=lambda: sqlite3.connect(target, uri=uri), poolclass=NullPool
        )
        with engine.begin() as connection:
            work(connection)
        engine.dispose()
        return

    async def main() -> None:
        driver = where.url.replace("postgresql://", "postgresql+asyncpg://", 1)
        engine = create_async_engine(driver, poolclass=NullPool)
        async with engine.begin() as connection:
            await connection.run_sync(work)
        await engine.dispose()

    asyncio.run(main())


def test_an_existing_database_upgrades_and_its_live_keys_stop_expiring(database_url: str) -> None:
    live, message, gone = (str(uuid.uuid4()) for _ in range(3))
    old_keys = {
        "live": f"/threads/{live}",
        "live-message": f"/threads/{live}/messages/{message}",
        "gone": f"/threads/{gone}",  # its thread was deleted before the upgrade
    }

    def at_the_first_revision(connection: Connection) -> None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(
            text(
                "INSERT INTO threads (id, owner, title, agent_id, model, provider, created_us,"
                " updated_us, version) VALUES (:id, 'alice', 't', 'a', 'm', 'p', 1, 1, 1)"
            ),
            {"id": live},
        )
        connection.execute(
            text(
                "INSERT INTO messages (id, thread_id, role, content, created_us)"
                " VALUES (:id, :thread, 'user', 'hi', 1)"
            ),
            {"id": message, "thread": live},
        )
        for key, location in old_keys.items():
            connection.execute(
                text(
                    "INSERT INTO idempotency_keys (principal, operation, key, fingerprint,"
                    " status_code, body, location, etag, created_us, expires_us) VALUES"
                    " ('alice', 'createThread', :key, 'f', 201, :body, :location, NULL, 1, 5000)"
                ),
                {"key": key, "body": b"{}", "location": location},
            )

    on_connection(database_url, at_the_first_revision)

    async def upgraded() -> None:
        database = await open_database(database_url)  # migrates to the newest revision
        try:
            rows = await database.fetch_all(
                "SELECT key, thread_id, expires_us FROM idempotency_keys ORDER BY key"
            )
            assert [(row["key"], row["thread_id"], row["expires_us"]) for row in rows] == [
                ("gone", gone, 5000),
                ("live", live, None),
                ("live-message", live, None),
            ]
            assert await purge_expired(database, 10**15) == 1
        finally:
            await database.close()

    asyncio.run(upgraded())

    def matches_the_tables(connection: Connection) -> None:
        assert compare_metadata(MigrationContext.configure(connection), metadata) == []

    on_connection(database_url, matches_the_tables)
