"""Concurrent creates with one key make exactly one thread, across processes too."""

import asyncio
import collections
from pathlib import Path

import httpx
import pytest

from tests.fixtures.processes import TOKENS, start_provider
from threadpact.conformance.databases import sqlite_url
from threadpact.conformance.processes import Server

BODY = {"agent_id": "a", "model": "m", "provider": "p", "title": "burst"}
BURST = 60


async def burst(base_urls: list[str], key: str, count: int) -> list[httpx.Response]:
    """``count`` simultaneous creates with one key, spread over ``base_urls``."""
    headers = {"Authorization": f"Bearer {TOKENS['alice']}", "Idempotency-Key": key}
    limits = httpx.Limits(max_connections=count)
    async with httpx.AsyncClient(timeout=60, limits=limits, headers=headers) as client:
        start = asyncio.Event()

        async def one(index: int) -> httpx.Response:
            await start.wait()
            return await client.post(base_urls[index % len(base_urls)] + "/threads", json=BODY)

        tasks = [asyncio.create_task(one(index)) for index in range(count)]
        await asyncio.sleep(0.05)
        start.set()
        return list(await asyncio.gather(*tasks))


def assert_exactly_one(responses: list[httpx.Response], server: Server) -> None:
    statuses = collections.Counter(response.status_code for response in responses)
    assert set(statuses) <= {201, 409}, statuses
    created = [response for response in responses if response.status_code == 201]
    assert created, statuses
    assert len({response.content for response in created}) == 1
    assert sum("Idempotent-Replayed" not in response.headers for response in created) <= 1
    with server.client("alice") as client:
        threads = client.get("/threads", params={"limit": 100}).json()["items"]
    assert [thread["id"] for thread in threads] == [created[0].json()["id"]]


@pytest.mark.postgres
@pytest.mark.slow
def test_three_processes_on_postgres_make_one_thread(postgres_url: str, tmp_path: Path) -> None:
    servers = [start_provider(postgres_url, tmp_path / f"p{index}.log") for index in range(3)]
    try:
        for round_number in range(3):
            responses = asyncio.run(
                burst([server.base_url for server in servers], f"race-{round_number}", BURST)
            )
            assert_exactly_one(responses, servers[0])
            with servers[0].client("alice") as client:
                client.delete(f"/threads/{responses[0].json()['id']}")
    finally:
        for server in servers:
            server.stop()


def test_one_process_on_sqlite_makes_one_thread(tmp_path: Path) -> None:
    server = start_provider(sqlite_url(tmp_path / "race.db"), tmp_path / "p.log")
    try:
        responses = asyncio.run(burst([server.base_url], "race", BURST))
        assert_exactly_one(responses, server)
    finally:
        server.stop()
