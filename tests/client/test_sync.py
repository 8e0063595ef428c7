"""The sync engine against an in-memory server: swap, outbox, retries, failures."""

import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.client.fake_server import FakeServer
from threadpact.client import store as store_module
from threadpact.client.api import ThreadsApi
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import VirtualClock
from threadpact.client.store import Store
from threadpact.client.sync import SyncEngine

POLICY = RetryPolicy(base=1.0, factor=2.0, cap=60.0, jitter=0.5, max_attempts=4)
DRAW = 0.5
THREAD = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai"}


class Crash(BaseException):
    """The process dies (not an error the client could handle)."""


class Harness:
    """An engine on a fake server, a virtual clock and a store file."""

    def __init__(self, tmp_path: Path, fake: FakeServer, token: str = "good") -> None:
        self.path = tmp_path / "store.json"
        self.fake = fake
        self.clock = VirtualClock(start=1_800_000_000.0)
        self.transport: httpx.BaseTransport = fake.transport()
        self.engine = self.reload(token)

    def reload(self, token: str = "good") -> SyncEngine:
        self.engine = SyncEngine(
            Store(self.path),
            ThreadsApi("http://fake.test", token, transport=self.transport),
            policy=POLICY,
            clock=self.clock,
            random=lambda: DRAW,
        )
        return self.engine


@pytest.fixture
def fake() -> FakeServer:
    return FakeServer()


@pytest.fixture
def h(tmp_path: Path, fake: FakeServer) -> Iterator[Harness]:
    harness = Harness(tmp_path, fake)
    yield harness
    harness.engine.api.close()


def keys(fake: FakeServer, path: str = "/threads") -> list[str | None]:
    return [r.headers.get("Idempotency-Key") for r in fake.sent("POST", path)]


def test_a_create_is_one_atomic_write_and_sends_nothing(
    h: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[bytes] = []
    real = store_module.write_atomically
    monkeypatch.setattr(
        store_module, "write_atomically", lambda p, d, **k: (writes.append(d), real(p, d, **k))
    )
    thread = h.engine.create_thread(title="Hi", **THREAD)
    assert len(writes) == 1
    saved = Store(h.path).snapshot()
    assert saved.threads == [thread]
    assert thread.syncStatus == "pending"
    assert saved.currentThreadId == thread.id
    [entry] = saved.outbox
    assert (entry.kind, entry.threadId, entry.key) == ("createThread", thread.id, thread.id)
    assert entry.body == {**THREAD, "title": "Hi"}
    assert h.fake.requests == []


def test_the_swap_moves_id_pointer_messages_and_aliases(h: Harness) -> None:
    temporary = h.engine.create_thread(title="Swap me", **THREAD).id
    first = h.engine.send_message(temporary, "one")
    second = h.engine.send_message(temporary, "two", role="assistant")
    report = h.engine.drain()

    assert (report.sent, report.failed, report.remaining) == (3, 0, 0)
    [server_id] = h.fake.threads
    [thread] = h.engine.threads()
    assert thread.id == server_id != temporary
    assert thread.syncStatus == "synced"
    assert thread.syncError is None
    assert thread.aliases == [temporary]
    assert h.engine.current_thread_id() == server_id
    assert h.engine.store.snapshot().aliases == {temporary: server_id}
    server_messages = h.fake.messages[server_id]
    assert [m.id for m in thread.messages] == [m["id"] for m in server_messages]
    assert [m.clientId for m in thread.messages] == [first.id, second.id]
    assert [m.content for m in thread.messages] == ["one", "two"]
    assert keys(h.fake, f"/threads/{server_id}/messages") == [first.id, second.id]
    assert h.engine.outbox() == []
    # An old link still finds the thread, and a message sent to it lands on the server's.
    assert h.engine.resolve(temporary) == server_id
    h.engine.send_message(temporary, "three")
    h.engine.drain()
    assert [m["content"] for m in h.fake.messages[server_id]] == ["one", "two", "three"]
    assert Store(h.path).snapshot() == h.engine.store.snapshot()


def test_5xx_is_retried_with_backoff_and_the_same_key(h: Harness) -> None:
    h.fake.fail("POST", "/threads", status=503, times=3)
    temporary = h.engine.create_thread(**THREAD).id
    h.engine.drain()
    assert h.clock.slept == [POLICY.delay(n, DRAW) for n in (1, 2, 3)] == [0.75, 1.5, 3.0]
    assert keys(h.fake) == [temporary] * 4
    assert h.engine.threads()[0].syncStatus == "synced"


def test_sync_once_does_not_wait_and_leaves_the_thread_pending(h: Harness) -> None:
    h.fake.fail("POST", "/threads", error=httpx.ConnectError, times=1)
    h.engine.create_thread(**THREAD)
    report = h.engine.sync_once()
    assert (report.sent, report.retrying, report.remaining) == (0, 1, 1)
    assert h.clock.slept == []
    [entry] = h.engine.outbox()
    assert entry.notBefore == h.clock.now() + POLICY.delay(1, DRAW)
    assert entry.lastError is not None
    assert "no answer" in entry.lastError
    assert h.engine.sync_once().sent == 0  # not due yet
    h.clock.advance(POLICY.delay(1, DRAW))
    assert h.engine.sync_once().sent == 1


def test_retry_after_sets_the_wait(h: Harness) -> None:
    h.fake.fail("POST", "/threads", status=429, headers={"Retry-After": "20"})
    h.engine.create_thread(**THREAD)
    h.engine.drain()
    assert h.clock.slept == [20.0]


def test_in_flight_409_is_retried(h: Harness) -> None:
    h.fake.fail("POST", "/threads", status=409, times=2)
    h.engine.create_thread(**THREAD)
    h.engine.drain()
    assert len(h.fake.sent("POST", "/threads")) == 3
    assert len(h.fake.threads) == 1


@pytest.mark.parametrize("status", [400, 403, 422])
def test_a_permanent_error_fails_at_once_and_keeps_everything(h: Harness, status: int) -> None:
    h.fake.fail("POST", "/threads", status=status)
    thread = h.engine.create_thread(title="Keep me", **THREAD)
    h.engine.send_message(thread.id, "still here")
    report = h.engine.drain()
    assert (report.sent, report.failed, report.remaining) == (0, 1, 2)
    assert len(h.fake.requests) == 1
    [failed] = h.engine.threads()
    assert failed.syncStatus == "failed"
    assert failed.syncError is not None
    assert str(status) in failed.syncError
    assert (failed.id, failed.title) == (thread.id, "Keep me")
    assert [(m.content, m.syncStatus) for m in failed.messages] == [("still here", "pending")]
    h.engine.drain()
    assert len(h.fake.requests) == 1  # stays stopped


def test_401_fails_and_a_manual_retry_after_signing_in_syncs(h: Harness) -> None:
    h.engine.api.close()
    h.reload(token="expired")
    temporary = h.engine.create_thread(**THREAD).id
    h.engine.drain()
    [thread] = h.engine.threads()
    assert thread.syncStatus == "failed"
    assert "401" in str(thread.syncError)

    h.reload(token="good")
    assert h.engine.retry_thread(temporary) == 1
    assert h.engine.threads()[0].syncStatus == "pending"
    h.engine.drain()
    assert keys(h.fake) == [temporary, temporary]
    assert h.engine.threads()[0].id in h.fake.threads


def test_an_outage_never_fails_the_thread_and_online_sends_at_once(h: Harness) -> None:
    h.fake.fail("POST", "/threads", error=httpx.ConnectError, times=3 * POLICY.max_attempts)
    temporary = h.engine.create_thread(**THREAD).id
    for run in range(3):
        report = h.engine.drain()
        assert (report.failed, report.remaining) == (0, 1)
        assert len(h.fake.requests) == (run + 1) * POLICY.max_attempts  # one run's share
        [thread] = h.engine.threads()
        assert thread.syncStatus == "pending"
        h.clock.advance(6 * 3600)  # hours offline
    assert h.engine.outbox()[0].state == "queued"

    report = h.engine.online()
    assert report.sent == 1
    assert set(keys(h.fake)) == {temporary}
    assert h.engine.threads()[0].syncStatus == "synced"


def test_a_lost_response_is_replayed_not_duplicated(h: Harness) -> None:
    h.fake.fail("POST", "/threads", error=httpx.ReadError, after_commit=True)
    h.engine.create_thread(**THREAD)
    h.engine.drain()
    assert len(h.fake.threads) == 1
    assert h.engine.threads()[0].id in h.fake.threads


def test_a_crash_after_the_server_committed_resumes_on_reload(h: Harness) -> None:
    fake = h.fake

    class DiesAfterSending(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            fake.handle(request)
            raise Crash

    h.transport = DiesAfterSending()
    h.reload()
    temporary = h.engine.create_thread(**THREAD).id
    with pytest.raises(Crash):
        h.engine.drain()
    assert len(fake.threads) == 1

    h.transport = fake.transport()
    engine = h.reload()  # the page reload
    [entry] = engine.outbox()
    assert entry.attempts == 1  # the attempt was counted before the crash
    engine.drain()
    assert keys(fake) == [temporary, temporary]
    assert len(fake.threads) == 1
    assert engine.threads()[0].id in fake.threads


def test_messages_sent_from_another_thread_during_the_create_follow_it(h: Harness) -> None:
    in_flight, release = threading.Event(), threading.Event()
    fake = h.fake

    class Slow(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/threads":
                in_flight.set()
                assert release.wait(10)
            return fake.handle(request)

    h.transport = Slow()
    h.reload()
    temporary = h.engine.create_thread(**THREAD).id
    worker = threading.Thread(target=h.engine.drain)
    worker.start()
    assert in_flight.wait(10)
    sent = [h.engine.send_message(temporary, f"m{n}").id for n in range(5)]
    release.set()
    worker.join(10)
    assert not worker.is_alive()
    h.engine.drain()

    [server_id] = fake.threads
    [thread] = h.engine.threads()
    assert thread.id == server_id
    assert [m["content"] for m in fake.messages[server_id]] == [f"m{n}" for n in range(5)]
    assert [m.clientId for m in thread.messages] == sent
    assert keys(fake, f"/threads/{server_id}/messages") == sent


def test_a_failed_message_holds_back_later_ones_until_retried(h: Harness) -> None:
    thread_id = h.engine.create_thread(**THREAD).id
    h.engine.drain()
    server_id = h.engine.resolve(thread_id)
    h.fake.fail("POST", f"/threads/{server_id}/messages", status=422)
    h.engine.send_message(thread_id, "first")
    h.engine.send_message(thread_id, "second")
    h.engine.drain()
    [thread] = h.engine.threads()
    assert [m.syncStatus for m in thread.messages] == ["failed", "pending"]
    assert thread.syncStatus == "failed"  # a failed message shows at thread level
    assert "422" in str(thread.syncError)
    assert len(h.fake.sent("POST", f"/threads/{server_id}/messages")) == 1

    h.engine.retry_thread(thread_id)
    h.engine.drain()
    assert [m["content"] for m in h.fake.messages[str(server_id)]] == ["first", "second"]
    assert [m.syncStatus for m in h.engine.threads()[0].messages] == ["synced", "synced"]


def test_a_rename_before_the_first_send_changes_the_create(h: Harness) -> None:
    thread_id = h.engine.create_thread(title="Draft", **THREAD).id
    h.engine.rename_thread(thread_id, "Final")
    h.engine.drain()
    assert [r.method for r in h.fake.requests] == ["POST"]
    assert [t["title"] for t in h.fake.threads.values()] == ["Final"]


def test_a_rename_after_a_send_is_queued_behind_the_create(h: Harness) -> None:
    h.fake.fail("POST", "/threads", error=httpx.ReadError, after_commit=True)
    thread_id = h.engine.create_thread(title="Draft", **THREAD).id
    h.engine.sync_once()  # sent, answer lost: the key is bound to "Draft" now
    h.engine.rename_thread(thread_id, "Final")
    assert h.engine.thread(thread_id).title == "Final"  # type: ignore[union-attr]
    h.engine.drain()
    assert [r.method for r in h.fake.requests] == ["POST", "POST", "PATCH"]
    [thread] = h.engine.threads()
    assert thread.title == "Final"
    assert thread.syncStatus == "synced"
    assert h.fake.threads[thread.id]["title"] == "Final"


def test_deleting_a_thread_the_server_never_saw_sends_nothing(h: Harness) -> None:
    thread_id = h.engine.create_thread(**THREAD).id
    h.engine.send_message(thread_id, "bye")
    h.engine.delete_thread(thread_id)
    assert h.engine.threads() == []
    assert h.engine.outbox() == []
    assert h.engine.current_thread_id() is None
    h.engine.drain()
    assert h.fake.requests == []


def test_deleting_after_a_lost_create_deletes_it_on_the_server(h: Harness) -> None:
    h.fake.fail("POST", "/threads", error=httpx.ReadError, after_commit=True)
    thread_id = h.engine.create_thread(**THREAD).id
    h.engine.sync_once()
    assert len(h.fake.threads) == 1
    h.engine.delete_thread(thread_id)
    h.engine.drain()
    assert h.fake.threads == {}
    assert [r.method for r in h.fake.requests] == ["POST", "POST", "DELETE"]
    assert h.engine.outbox() == []


@pytest.mark.parametrize("outcome", ["created", "lost"])
def test_deleting_while_the_create_is_in_flight(h: Harness, outcome: str) -> None:
    in_flight, release = threading.Event(), threading.Event()
    fake = h.fake

    class Slow(httpx.BaseTransport):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            if request.url.path == "/threads" and not release.is_set():
                in_flight.set()
                assert release.wait(10)
                if outcome == "lost":
                    fake.handle(request)
                    raise httpx.ReadError("lost", request=request)
            return fake.handle(request)

    h.transport = Slow()
    h.reload()
    thread_id = h.engine.create_thread(**THREAD).id
    worker = threading.Thread(target=h.engine.drain)
    worker.start()
    assert in_flight.wait(10)
    h.engine.delete_thread(thread_id)
    release.set()
    worker.join(10)
    assert not worker.is_alive()
    h.engine.drain()
    assert fake.threads == {}
    assert [r.method for r in fake.requests][-1] == "DELETE"
    assert h.engine.threads() == []
    assert h.engine.outbox() == []


def test_deleting_a_thread_that_was_refused_after_a_lost_answer_still_deletes_it(
    h: Harness,
) -> None:
    h.fake.fail("POST", "/threads", error=httpx.ReadError, after_commit=True)
    h.fake.fail("POST", "/threads", status=403)
    thread_id = h.engine.create_thread(**THREAD).id
    h.engine.drain()
    assert h.engine.threads()[0].syncStatus == "failed"
    assert len(h.fake.threads) == 1  # the lost attempt made it
    h.engine.delete_thread(thread_id)
    h.engine.drain()
    assert h.fake.threads == {}
    assert h.engine.outbox() == []


def test_a_rename_after_a_manual_retry_does_not_rewrite_the_sent_create(h: Harness) -> None:
    h.fake.fail("POST", "/threads", error=httpx.ReadError, after_commit=True)
    h.fake.fail("POST", "/threads", status=400)
    thread_id = h.engine.create_thread(title="Draft", **THREAD).id
    h.engine.drain()
    h.engine.retry_thread(thread_id)
    h.engine.rename_thread(thread_id, "Final")
    h.engine.drain()
    [thread] = h.engine.threads()
    assert thread.syncStatus == "synced"
    assert [r.method for r in h.fake.requests] == ["POST", "POST", "POST", "PATCH"]
    assert h.fake.threads[thread.id]["title"] == "Final"


def test_deleting_a_synced_thread_tolerates_it_being_gone(h: Harness) -> None:
    thread_id = h.engine.create_thread(**THREAD).id
    h.engine.drain()
    server_id = str(h.engine.resolve(thread_id))
    h.fake.fail("DELETE", f"/threads/{server_id}", status=404)
    h.engine.delete_thread(server_id)
    report = h.engine.drain()
    assert (report.sent, report.failed, report.remaining) == (1, 0, 0)


def test_deleting_a_refused_create_sends_nothing_more(h: Harness) -> None:
    h.fake.fail("POST", "/threads", status=422)
    thread_id = h.engine.create_thread(**THREAD).id
    h.engine.drain()
    h.engine.delete_thread(thread_id)
    h.engine.drain()
    assert len(h.fake.requests) == 1
    assert h.engine.outbox() == []


def test_drain_can_be_bounded(h: Harness) -> None:
    h.fake.fail("POST", "/threads", status=503, times=100)
    h.engine.create_thread(**THREAD)
    report = h.engine.drain(max_wait=1.0)
    assert sum(h.clock.slept) <= 1.0
    assert report.remaining == 1
    assert h.engine.threads()[0].syncStatus == "pending"


def test_invalid_input_is_refused_before_anything_is_stored(h: Harness) -> None:
    with pytest.raises(ValueError, match="agent_id"):
        h.engine.create_thread(agent_id="", model="m", provider="p")
    with pytest.raises(ValueError, match="title"):
        h.engine.create_thread(title="x" * 201, **THREAD)
    thread_id = h.engine.create_thread(**THREAD).id
    with pytest.raises(ValueError, match="content"):
        h.engine.send_message(thread_id, "")
    with pytest.raises(KeyError, match="no-such-thread"):
        h.engine.send_message("no-such-thread", "hi")
    assert len(h.engine.threads()) == 1
    assert len(h.engine.outbox()) == 1


def test_select_follows_aliases(h: Harness) -> None:
    first = h.engine.create_thread(**THREAD).id
    h.engine.create_thread(**THREAD)
    h.engine.drain()
    assert h.engine.select_thread(first) == h.engine.resolve(first) != first
    assert h.engine.current_thread() == h.engine.thread(first)


def test_pull_brings_in_another_devices_threads_once(h: Harness, tmp_path: Path) -> None:
    thread_id = h.engine.create_thread(title="From laptop", **THREAD).id
    h.engine.send_message(thread_id, "hello")
    h.engine.drain()

    phone = SyncEngine(
        Store(tmp_path / "phone.json"),
        ThreadsApi("http://fake.test", "good", transport=h.fake.transport()),
        clock=h.clock,
    )
    pending = phone.create_thread(title="From phone", **THREAD)
    report = phone.pull()  # the phone's create was never sent: nothing can show twice
    assert (report.threads, report.messages) == (1, 1)
    phone.drain()
    assert phone.pull().threads == 0
    titles = sorted(t.title for t in phone.threads())
    assert titles == ["From laptop", "From phone"]
    assert {t.id for t in phone.threads()} == set(h.fake.threads)
    assert pending.id not in {t.id for t in phone.threads()}
