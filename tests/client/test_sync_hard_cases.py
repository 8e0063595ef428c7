"""The reference client's hard cases against an in-memory server: tabs, Retry-After,
If-Match and the 412 rule, pull of changes made elsewhere, legacy adoption."""

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from tests.client.fake_server import FakeServer
from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import VirtualClock
from threadpact.client.legacy import migrate_legacy
from threadpact.client.store import Store
from threadpact.client.sync import SyncEngine

POLICY = RetryPolicy(base=1.0, factor=2.0, cap=60.0, jitter=0.5, max_attempts=4)
THREAD = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai"}


class Tabs:
    """Engines on one store file, one fake server and one virtual clock."""

    def __init__(self, tmp_path: Path, fake: FakeServer) -> None:
        self.path = tmp_path / "store.json"
        self.fake = fake
        self.clock = VirtualClock(start=1_800_000_000.0)
        self.open: list[SyncEngine] = []

    def tab(self, transport: httpx.BaseTransport | None = None) -> SyncEngine:
        engine = SyncEngine(
            Store(self.path),
            ThreadsApi("http://fake.test", "good", transport=transport or self.fake.transport()),
            policy=POLICY,
            clock=self.clock,
            random=lambda: 0.5,
        )
        self.open.append(engine)
        return engine


@pytest.fixture
def fake() -> FakeServer:
    return FakeServer()


@pytest.fixture
def tabs(tmp_path: Path, fake: FakeServer) -> Iterator[Tabs]:
    bench = Tabs(tmp_path, fake)
    yield bench
    for engine in bench.open:
        engine.close()


def test_two_tabs_keep_each_others_writes(tabs: Tabs) -> None:
    left, right = tabs.tab(), tabs.tab()
    first = left.create_thread(title="From the left", **THREAD)
    second = right.create_thread(title="From the right", **THREAD)
    right.send_message(first.id, "typed on the right")
    left.rename_thread(second.id, "Renamed on the left")
    for engine in (left, right):
        assert {t.title for t in engine.threads()} == {"From the left", "Renamed on the left"}
        assert [m.content for m in engine.thread(first.id).messages] == ["typed on the right"]
    right.drain()
    assert sorted(t["title"] for t in tabs.fake.threads.values()) == [
        "From the left",
        "Renamed on the left",
    ]
    assert all(t.syncStatus == "synced" for t in left.threads())


def test_only_one_tab_sends_at_a_time(tabs: Tabs) -> None:
    left = tabs.tab()
    right = tabs.tab()
    left.create_thread(title="Sent once", **THREAD)
    inner = tabs.fake.transport()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            assert right.sync_once().sent == 0  # the left tab is sending: hands off
        return inner.handle_request(request)

    left.api = ThreadsApi("http://fake.test", "good", transport=httpx.MockTransport(handler))
    left.drain()
    assert len(tabs.fake.sent("POST", "/threads")) == 1
    assert right.threads()[0].syncStatus == "synced"


def test_a_closed_tabs_pending_work_is_sent_by_the_next(tabs: Tabs) -> None:
    closing = tabs.tab()
    tabs.fake.fail("POST", "/threads", error=httpx.ConnectError)
    thread = closing.create_thread(title="Left pending", **THREAD)
    closing.sync_once()
    closing.close()
    tabs.open.remove(closing)
    tabs.tab().online()
    assert [r.headers["Idempotency-Key"] for r in tabs.fake.sent("POST", "/threads")] == [
        thread.id,
        thread.id,
    ]
    assert len(tabs.fake.threads) == 1


def test_a_retry_after_holds_even_when_back_online(tabs: Tabs) -> None:
    engine = tabs.tab()
    tabs.fake.fail("POST", "/threads", status=429, headers={"Retry-After": "3600"})
    engine.create_thread(title="Throttled", **THREAD)
    engine.sync_once()
    tabs.clock.advance(60)
    engine.online()
    engine.sync_once()
    assert len(tabs.fake.sent("POST", "/threads")) == 1
    assert engine.threads()[0].syncStatus == "pending"
    tabs.clock.advance(3600)
    engine.sync_once()
    assert len(tabs.fake.threads) == 1
    assert engine.threads()[0].syncStatus == "synced"


def test_a_rename_carries_the_last_etag_seen(tabs: Tabs) -> None:
    engine = tabs.tab()
    thread_id = engine.create_thread(title="First", **THREAD).id
    engine.drain()
    engine.rename_thread(thread_id, "Second")
    engine.drain()
    engine.rename_thread(thread_id, "Third")
    engine.drain()
    assert [r.headers.get("If-Match") for r in tabs.fake.requests if r.method == "PATCH"] == [
        '"1"',
        '"2"',
    ]
    [server] = tabs.fake.threads.values()
    assert server["title"] == "Third"


def test_on_a_412_the_server_wins(tabs: Tabs) -> None:
    engine = tabs.tab()
    thread_id = engine.create_thread(title="Original", **THREAD).id
    engine.drain()
    server_id = engine.resolve(thread_id)
    assert server_id is not None
    tabs.fake.rename(server_id, "Renamed elsewhere")
    engine.rename_thread(thread_id, "Renamed here")
    report = engine.drain()
    assert report.failed == 0
    assert tabs.fake.threads[server_id]["title"] == "Renamed elsewhere"
    [thread] = engine.threads()
    assert (thread.title, thread.syncStatus) == ("Renamed elsewhere", "synced")
    assert engine.outbox() == []


def test_pull_applies_renames_and_deletes_made_elsewhere(tabs: Tabs) -> None:
    engine = tabs.tab()
    kept = engine.create_thread(title="Kept", **THREAD).id
    gone = engine.create_thread(title="Gone", **THREAD).id
    engine.drain()
    kept_id, gone_id = engine.resolve(kept), engine.resolve(gone)
    assert kept_id is not None
    assert gone_id is not None
    tabs.fake.rename(kept_id, "Renamed on the phone")
    del tabs.fake.threads[gone_id]
    report = engine.pull()
    assert (report.renamed, report.removed) == (1, 1)
    assert [t.title for t in engine.threads()] == ["Renamed on the phone"]
    assert engine.current_thread_id() is None  # it pointed at the deleted thread


def test_pull_never_brings_back_a_thread_whose_delete_is_queued(tabs: Tabs) -> None:
    engine = tabs.tab()
    thread_id = engine.create_thread(title="Deleting", **THREAD).id
    engine.drain()
    tabs.fake.fail("DELETE", "/threads/.+", status=503)
    engine.delete_thread(thread_id)
    engine.sync_once()
    engine.pull()
    assert engine.threads() == []
    engine.online()
    assert tabs.fake.threads == {}


def test_pull_keeps_a_pending_rename_and_unknown_threads_behind_a_lost_create(
    tabs: Tabs,
) -> None:
    engine = tabs.tab()
    thread_id = engine.create_thread(title="Mine", **THREAD).id
    engine.drain()
    server_id = engine.resolve(thread_id)
    assert server_id is not None
    tabs.fake.fail("PATCH", "/threads/.+", error=httpx.ConnectError)
    engine.rename_thread(thread_id, "Pending rename")
    engine.sync_once()
    tabs.fake.fail("POST", "/threads", error=httpx.ReadError, after_commit=True)
    engine.create_thread(title="Answer lost", **THREAD)
    engine.sync_once()
    engine.pull()
    titles = sorted(t.title for t in engine.threads())
    assert titles == ["Answer lost", "Pending rename"]  # nothing shown twice, rename kept
    engine.online()
    engine.pull()
    assert sorted(t["title"] for t in tabs.fake.threads.values()) == titles
    assert sorted(t.title for t in engine.threads()) == titles


def test_legacy_threads_the_old_client_made_are_adopted_not_copied(tabs: Tabs) -> None:
    created_ms = int(tabs.fake.clock.timestamp() * 1000) - 10_000
    made: dict[str, str] = {}
    for name, title in (("refund", "Refund"), ("retry copy", "Refund"), ("trip", "Trip")):
        made[name] = tabs.fake.new_thread({**THREAD, "title": title})["id"]  # the old client
        tabs.fake.clock += timedelta(seconds=1)
    legacy = {"agentId": "support-bot", "model": "gpt-4o", "provider": "openai"}
    dump = {
        "threads": [
            {
                "id": "old-1",
                "title": "Refund",
                **legacy,
                "createdAt": created_ms,
                "messages": [{"id": "m-1", "role": "user", "content": "where is it?"}],
            },
            {"id": "old-2", "title": "Trip", **legacy, "createdAt": created_ms},
            {"id": "old-3", "title": "Never posted", **legacy, "createdAt": created_ms},
        ]
    }
    engine = tabs.tab()
    migrate_legacy(dump, engine.store, clock=tabs.clock)
    before = set(tabs.fake.threads)
    engine.drain()
    assert len(set(tabs.fake.threads) - before) == 1  # only the one never posted
    by_title = {t.title: t for t in engine.threads()}
    assert by_title["Refund"].id == made["refund"]  # the earliest twin
    assert by_title["Trip"].id == made["trip"]
    assert "old-1" in by_title["Refund"].aliases
    assert [m["content"] for m in tabs.fake.messages[made["refund"]]] == ["where is it?"]
    engine.pull()  # the old client's extra copy is shown, never hidden or deleted
    titles = sorted(t.title for t in engine.threads())
    assert titles == ["Never posted", "Refund", "Refund", "Trip"]


def test_without_adoption_the_legacy_threads_are_copied(tabs: Tabs) -> None:
    created_ms = int(tabs.fake.clock.timestamp() * 1000)
    tabs.fake.new_thread({**THREAD, "title": "Refund"})
    dump = {
        "threads": [
            {
                "id": "old-1",
                "title": "Refund",
                "agentId": "support-bot",
                "model": "gpt-4o",
                "provider": "openai",
                "createdAt": created_ms,
            }
        ]
    }
    engine = tabs.tab()
    migrate_legacy(dump, engine.store, clock=tabs.clock, adopt=False)
    engine.drain()
    assert len(tabs.fake.threads) == 2  # what adoption prevents


def test_a_412_drops_only_the_stale_rename_not_a_later_one(tabs: Tabs) -> None:
    engine = tabs.tab()
    thread_id = engine.create_thread(title="Original", **THREAD).id
    engine.drain()
    server_id = engine.resolve(thread_id)
    assert server_id is not None
    tabs.fake.fail("PATCH", "/threads/.+", error=httpx.ReadError, after_commit=True)
    engine.rename_thread(thread_id, "First")  # applied, but its answer is lost
    engine.sync_once()
    engine.rename_thread(thread_id, "Second")  # queued behind it
    engine.drain()  # the first is re-sent with the old ETag: 412; the second still goes
    assert tabs.fake.threads[server_id]["title"] == "Second"
    [thread] = engine.threads()
    assert (thread.title, thread.syncStatus) == ("Second", "synced")
