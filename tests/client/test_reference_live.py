"""The reference client against real provider processes: outages, renames, deletes, pull."""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fixtures.processes import free_port
from threadpact.client.api import ThreadsApi
from threadpact.client.clock import VirtualClock
from threadpact.client.invariants import check_synced, server_view
from threadpact.client.store import Store
from threadpact.client.sync import SyncEngine
from threadpact.conformance.fixtures import Live, start_live
from threadpact.conformance.processes import Server

THREAD = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai"}


def engine_for(base_url: str, token: str, path: Path) -> SyncEngine:
    return SyncEngine(Store(path), ThreadsApi(base_url, token, timeout=5), clock=VirtualClock())


def assert_synced(engine: SyncEngine, temporaries: set[str], creations: int) -> None:
    violations = check_synced(
        engine.threads(), server_view(engine.api), temporary_ids=temporaries, creations=creations
    )
    assert not violations, "\n".join(map(str, violations))


@dataclass
class Restartable:
    """A provider on a fixed port and database that a test may stop and start again."""

    database_url: str
    folder: Path
    port: int = field(default_factory=free_port)
    servers: list[Server] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        log = self.folder / f"provider-{len(self.servers) + 1}.log"
        self.servers.append(start_live(self.database_url, log, port=self.port))

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


@pytest.fixture
def restartable(database_url: str, tmp_path: Path) -> Iterator[Restartable]:
    provider = Restartable(database_url, tmp_path)
    provider.start()
    try:
        yield provider
    finally:
        provider.stop()


def test_a_real_outage_keeps_threads_pending_and_they_sync_after_a_restart(
    restartable: Restartable, token: str, tmp_path: Path
) -> None:
    engine = engine_for(restartable.base_url, token, tmp_path / "store.json")
    try:
        before = engine.create_thread(title="Before the outage", **THREAD).id
        engine.drain()
        restartable.stop()  # the provider goes down

        during = engine.create_thread(title="During the outage", **THREAD).id
        engine.select_thread(during)
        engine.send_message(during, "is anyone there?")
        engine.sync_once()
        pending = engine.thread(during)
        assert pending is not None
        assert (pending.id, pending.syncStatus) == (during, "pending")
        assert "no answer" in str(engine.outbox()[0].lastError)

        restartable.start()  # same port, same database
        engine.drain()
        synced = engine.thread(during)
        assert synced is not None
        assert synced.id != during
        assert synced.syncStatus == "synced"
        assert engine.current_thread_id() == synced.id
        assert_synced(engine, {before, during}, creations=2)
    finally:
        engine.api.close()


def test_renames_and_deletes_reach_the_server(live: Live, token: str, tmp_path: Path) -> None:
    engine = engine_for(live.server.base_url, token, tmp_path / "store.json")
    try:
        keep = engine.create_thread(title="Draft", **THREAD).id
        drop = engine.create_thread(title="Mistake", **THREAD).id
        engine.drain()
        engine.rename_thread(keep, "Final title")
        engine.delete_thread(drop)
        engine.drain()
        [server] = list(engine.api.iter_threads())
        assert server.title == "Final title"
        assert engine.outbox() == []
        assert_synced(engine, {keep, drop}, creations=1)
    finally:
        engine.api.close()


def test_a_second_device_pulls_what_the_first_made(live: Live, token: str, tmp_path: Path) -> None:
    laptop = engine_for(live.server.base_url, token, tmp_path / "laptop.json")
    phone = engine_for(live.server.base_url, token, tmp_path / "phone.json")
    try:
        made = laptop.create_thread(title="Made on the laptop", **THREAD).id
        laptop.send_message(made, "hello from the laptop")
        laptop.drain()
        report = phone.pull()
        assert (report.threads, report.messages) == (1, 1)
        assert_synced(phone, set(), creations=1)
        assert [t.id for t in phone.threads()] == [t.id for t in laptop.threads()]
    finally:
        laptop.api.close()
        phone.api.close()
