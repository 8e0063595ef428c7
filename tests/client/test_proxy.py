"""The lab's faults behave the same through the httpx transport and through the proxy.

Each test runs twice: a client sending through a :class:`LabTransport`, and a
client talking plain HTTP to a :class:`FaultProxy`; both in front of a tiny
upstream that counts what reaches it, or, for the fault campaign's faults (a
request delivered twice, the provider or the sender killed mid-request, several
upstreams), in front of real reference providers.
"""

import contextlib
import json
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from tests.fixtures.databases import sqlite_url
from tests.fixtures.processes import POOL, TOKENS, Server, new_principal, start_provider
from threadpact.conformance.faults import THREAD_CREATE, Faults, Sent
from threadpact.conformance.proxy import FaultProxy
from threadpact.conformance.transports import LabTransport
from threadpact.names import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED

KEY = {IDEMPOTENCY_KEY: "temporary-1"}


class Upstream(ThreadingHTTPServer):
    """Answers every request 201 with how many requests reached it so far."""

    daemon_threads = True
    hits = 0


class CountingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Upstream

    def log_message(self, format: str, *args: object) -> None:
        del format, args

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.server.hits += 1
        body = json.dumps({"hits": self.server.hits}).encode()
        self.send_response(201)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST


@pytest.fixture(scope="module")
def upstream() -> Iterator[Upstream]:
    server = Upstream(("127.0.0.1", 0), CountingHandler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@dataclass
class Bench:
    faults: Faults
    http: httpx.Client
    upstream: Upstream

    def post(self, path: str = "/threads") -> httpx.Response:
        return self.http.post(path, json={"title": "t"}, headers=KEY)


@pytest.fixture(params=["transport", "proxy"])
def bench(request: pytest.FixtureRequest, upstream: Upstream) -> Iterator[Bench]:
    url = f"http://127.0.0.1:{upstream.server_address[1]}"
    faults: Faults
    if request.param == "transport":
        faults = LabTransport()
        http = httpx.Client(base_url=url, transport=faults, timeout=5)
    else:
        faults = proxy = FaultProxy(url)
        http = httpx.Client(base_url=proxy.base_url, timeout=5)
    upstream.hits = 0
    yield Bench(faults, http, upstream)
    http.close()
    faults.shutdown()


def test_a_request_is_forwarded_and_recorded(bench: Bench) -> None:
    response = bench.post()
    assert response.status_code == 201
    assert response.json() == {"hits": 1}
    [sent] = bench.faults.thread_creates()
    assert replace(sent, began=0.0, ended=0.0, upstream=None) == Sent(
        "POST", "/threads", "temporary-1", 201, None
    )
    assert sent.began <= sent.ended
    assert bench.faults.message_creates() == []


def test_offline_nothing_arrives_but_the_attempt_is_recorded(bench: Bench) -> None:
    bench.faults.offline = True
    with pytest.raises(httpx.TransportError):
        bench.post()
    assert bench.upstream.hits == 0
    bench.faults.offline = False
    assert bench.post().status_code == 201
    assert [(s.key, s.status, s.fault) for s in bench.faults.thread_creates()] == [
        ("temporary-1", None, "offline"),
        ("temporary-1", 201, None),
    ]


def test_a_lost_response_reached_the_server(bench: Bench) -> None:
    bench.faults.lose_response("POST", THREAD_CREATE)
    with pytest.raises(httpx.TransportError):
        bench.post()
    assert bench.upstream.hits == 1
    assert bench.post().json() == {"hits": 2}  # the rule was used up
    assert [(s.status, s.fault) for s in bench.faults.thread_creates()] == [
        (201, "lost"),
        (201, None),
    ]


def test_an_answer_in_the_servers_place(bench: Bench) -> None:
    bench.faults.answer(429, "POST", THREAD_CREATE, times=2, retry_after=7)
    statuses = [bench.post() for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 201]
    first = statuses[0]
    assert first.headers["retry-after"] == "7"
    assert first.headers["content-type"].startswith("application/problem+json")
    assert first.json()["status"] == 429
    assert bench.upstream.hits == 1
    assert [s.fault for s in bench.faults.thread_creates()] == ["answered", "answered", None]


def test_only_matching_requests_are_affected(bench: Bench) -> None:
    bench.faults.answer(503, "POST", re.compile(r"/threads/[^/]+/messages"))
    assert bench.post().status_code == 201
    assert bench.http.get("/threads").status_code == 201
    assert bench.post("/threads/abc/messages").status_code == 503


def test_a_delay_holds_the_request(bench: Bench) -> None:
    bench.faults.delay(0.3, "POST", THREAD_CREATE)
    started = time.monotonic()
    assert bench.post().status_code == 201
    assert time.monotonic() - started >= 0.3
    assert [s.fault for s in bench.faults.thread_creates()] == ["delayed"]


def test_before_runs_before_the_request_is_forwarded(bench: Bench) -> None:
    seen: list[tuple[str, int]] = []
    bench.faults.before(
        "POST",
        THREAD_CREATE,
        lambda request: seen.append((request.headers[IDEMPOTENCY_KEY], bench.upstream.hits)),
    )
    bench.post()
    bench.post()
    assert seen == [("temporary-1", 0)]  # once, before the first reached the server


def test_the_proxy_keeps_what_a_before_action_raised(upstream: Upstream) -> None:
    proxy = FaultProxy(f"http://127.0.0.1:{upstream.server_address[1]}")
    try:

        def fail(request: httpx.Request) -> None:
            raise RuntimeError(f"boom on {request.url.path}")

        proxy.before("POST", THREAD_CREATE, fail)
        response = httpx.post(proxy.base_url + "/threads", json={}, headers=KEY)
        assert response.status_code == 201  # the request still went through
        assert [str(e) for e in proxy.errors] == ["boom on /threads"]
    finally:
        proxy.shutdown()


# -- the campaign's faults, in front of real providers -------------------------------------

BODY = {"agent_id": "a", "model": "m", "provider": "p"}
KINDS = ["transport", "proxy"]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One reference provider for the tests that kill nothing but a client."""
    folder = tmp_path_factory.mktemp("proxy-live")
    server = start_provider(sqlite_url(folder / "threads.db"), folder / "provider.log")
    yield server
    server.stop()


@contextlib.contextmanager
def faulty(
    kind: str, upstreams: list[str], principal: str, seed: int | None = None
) -> Iterator[tuple[Faults, httpx.Client]]:
    """The faults (a LabTransport or a FaultProxy) in front of ``upstreams``, and a
    client of ``principal`` sending through them."""
    auth = {"Authorization": f"Bearer {TOKENS.get(principal) or POOL[principal]}"}
    faults: Faults
    if kind == "transport":
        # One upstream: requests go where the client addresses them; several: in turn,
        # whatever the client's address.
        several = len(upstreams) > 1
        faults = LabTransport(upstreams=upstreams if several else (), seed=seed)
        base = "http://provider.invalid" if several else upstreams[0]
        http = httpx.Client(base_url=base, transport=faults, headers=auth, timeout=10)
    else:
        faults = proxy = FaultProxy(upstreams, seed=seed)
        http = httpx.Client(base_url=proxy.base_url, headers=auth, timeout=10)
    try:
        yield faults, http
    finally:
        http.close()
        faults.shutdown()


def titles(server: Server, principal: str) -> list[str]:
    """The titles of ``principal``'s threads on ``server``."""
    with server.client(principal) as observer:
        return [thread["title"] for thread in observer.get("/threads").json()["items"]]


def create(http: httpx.Client, title: str, key: str) -> httpx.Response:
    return http.post("/threads", json={**BODY, "title": title}, headers={IDEMPOTENCY_KEY: key})


def killer(server: Server) -> Callable[[], None]:
    """SIGKILL the provider process and reap it."""

    def kill() -> None:
        server.process.kill()
        server.process.wait()

    return kill


@pytest.mark.parametrize("kind", KINDS)
def test_a_duplicate_reaches_the_server_twice_and_the_client_gets_the_first_answer(
    kind: str, live: Server
) -> None:
    principal = new_principal()
    with faulty(kind, [live.base_url], principal) as (faults, http):
        faults.duplicate("POST", THREAD_CREATE)
        response = create(http, "twice", "dup-1")
        assert response.status_code == 201
        assert IDEMPOTENT_REPLAYED not in response.headers  # the first answer, not the replay
        first, copy = faults.thread_creates()
        assert [(s.key, s.status, s.fault) for s in (first, copy)] == [
            ("dup-1", 201, None),
            ("dup-1", 201, "duplicate"),
        ]
        assert first.ended <= copy.began  # the copy went out once the first was answered
        assert create(http, "again", "dup-2").status_code == 201  # the rule was used up
        assert len(faults.thread_creates()) == 3
    assert sorted(titles(live, principal)) == ["again", "twice"]  # one thread per key


@pytest.mark.parametrize("kind", KINDS)
def test_a_concurrent_duplicate_makes_one_thread(kind: str, live: Server) -> None:
    principal = new_principal()
    with faulty(kind, [live.base_url], principal) as (faults, http):
        faults.duplicate("POST", THREAD_CREATE, concurrent=True)
        response = create(http, "at once", "dup-3")
        assert response.status_code == 201
        assert [(s.status, s.fault) for s in faults.thread_creates()] == [
            (201, None),
            (201, "duplicate"),
        ]
    assert titles(live, principal) == ["at once"]


@pytest.mark.parametrize("kind", KINDS)
def test_kill_during_drops_the_connection_and_the_provider_is_dead(
    kind: str, tmp_path: Path
) -> None:
    server = start_provider(sqlite_url(tmp_path / "threads.db"), tmp_path / "provider.log")
    try:
        with faulty(kind, [server.base_url], "alice") as (faults, http):
            faults.kill_during("POST", THREAD_CREATE, killer(server), within=(0.0, 0.01))
            with pytest.raises(httpx.TransportError):
                create(http, "mid-flight", "kill-1")
            assert server.process.poll() == -signal.SIGKILL  # dead before the client heard
            [sent] = faults.thread_creates()
            assert (sent.key, sent.fault) == ("kill-1", "killed")
            assert sent.upstream == (server.base_url if kind == "proxy" else None)
            with pytest.raises(httpx.TransportError):
                create(http, "nobody home", "kill-2")
            assert faults.thread_creates()[-1].fault == "upstream"
    finally:
        server.stop()


@pytest.mark.parametrize("kind", KINDS)
def test_kill_during_drops_the_answer_even_when_it_beat_the_kill(kind: str, tmp_path: Path) -> None:
    database = sqlite_url(tmp_path / "threads.db")
    server = start_provider(database, tmp_path / "provider.log")
    try:
        with faulty(kind, [server.base_url], "alice") as (faults, http):
            faults.kill_during("POST", THREAD_CREATE, killer(server), within=(0.3, 0.3))
            started = time.monotonic()
            with pytest.raises(httpx.TransportError):
                create(http, "committed", "kill-3")
            assert time.monotonic() - started >= 0.3
            assert server.process.poll() == -signal.SIGKILL
            [sent] = faults.thread_creates()
            assert (sent.status, sent.fault) == (201, "killed")  # answered, then dropped
    finally:
        server.stop()
    again = start_provider(database, tmp_path / "again.log")
    try:
        assert titles(again, "alice") == ["committed"]  # the provider had committed
    finally:
        again.stop()


SENDER = """
import sys, httpx
url, token, key = sys.argv[1:]
httpx.post(url + "/threads", json={"agent_id": "a", "model": "m", "provider": "p",
           "title": "orphan"}, headers={"Authorization": "Bearer " + token,
           "Idempotency-Key": key}, timeout=30)
print("answered")
"""


def recorded(faults: Faults, count: int, timeout: float = 10) -> list[Sent]:
    """The thread creates, once ``count`` are in the record (the proxy records a request
    only when it is done with it, which may be after its sender died)."""
    deadline = time.monotonic() + timeout
    while len(faults.thread_creates()) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return faults.thread_creates()


@pytest.mark.parametrize("forward", [True, False], ids=["forwarded", "dropped"])
def test_kill_sender_through_the_proxy_kills_the_client_process(
    live: Server, forward: bool
) -> None:
    principal = new_principal()
    with faulty("proxy", [live.base_url], principal) as (faults, _):
        assert isinstance(faults, FaultProxy)
        sender = subprocess.Popen(
            [sys.executable, "-c", SENDER, faults.base_url, POOL[principal], "sender-1"],
            stdout=subprocess.PIPE,
        )

        def kill_sender() -> None:
            sender.kill()
            sender.wait()

        faults.kill_sender("POST", THREAD_CREATE, kill_sender, forward=forward)
        output, _ = sender.communicate(timeout=30)
        assert (sender.returncode, output) == (-signal.SIGKILL, b"")
        [sent] = recorded(faults, 1)
        assert (sent.key, sent.status, sent.fault) == (
            "sender-1",
            201 if forward else None,
            "sender-killed",
        )
        assert not faults.errors
    assert titles(live, principal) == (["orphan"] if forward else [])


@pytest.mark.parametrize("forward", [True, False], ids=["forwarded", "dropped"])
def test_kill_sender_through_the_transport(live: Server, forward: bool) -> None:
    principal = new_principal()
    killed: list[int] = []
    with faulty("transport", [live.base_url], principal) as (faults, http):
        faults.kill_sender(
            "POST", THREAD_CREATE, lambda: killed.append(len(titles(live, principal))), forward
        )
        with pytest.raises(httpx.TransportError):
            create(http, "orphan", "sender-2")
        [sent] = faults.thread_creates()
        assert (sent.status, sent.fault) == (201 if forward else None, "sender-killed")
    assert killed == [0]  # the sender died before its request went anywhere
    assert titles(live, principal) == (["orphan"] if forward else [])


@pytest.mark.parametrize("kind", KINDS)
def test_several_upstreams_in_turn_and_a_dead_one_is_skipped(kind: str, tmp_path: Path) -> None:
    one = start_provider(sqlite_url(tmp_path / "one.db"), tmp_path / "one.log")
    two = start_provider(sqlite_url(tmp_path / "two.db"), tmp_path / "two.log")
    try:
        with faulty(kind, [one.base_url, two.base_url], "alice") as (faults, http):
            for _ in range(4):
                assert http.get("/threads").status_code == 200
            assert [s.upstream for s in faults.sent] == [one.base_url, two.base_url] * 2
            faults.set_upstreams([two.base_url])
            assert http.get("/threads").status_code == 200
            assert faults.sent[-1].upstream == two.base_url
            faults.set_upstreams([one.base_url, two.base_url])
            two.process.kill()
            two.process.wait()
            for _ in range(3):
                assert create(http, "failover", f"lb-{_}").status_code == 201
            assert [s.upstream for s in faults.sent[5:]] == [one.base_url] * 3
            assert [s.fault for s in faults.sent[5:]] == [None] * 3
            one.process.kill()
            one.process.wait()
            with pytest.raises(httpx.TransportError):
                http.get("/threads")
            last = faults.sent[-1]
            assert (last.status, last.fault, last.upstream) == (None, "upstream", None)
    finally:
        one.stop()
        two.stop()
    again = start_provider(sqlite_url(tmp_path / "one.db"), tmp_path / "again.log")
    try:
        assert titles(again, "alice") == ["failover"] * 3
    finally:
        again.stop()


def test_kill_during_can_send_the_request_to_the_process_it_kills() -> None:
    faults = Faults()
    faults.set_upstreams(["http://a", "http://b"])
    faults.kill_during("POST", THREAD_CREATE, lambda: None, times=2, upstream=1)
    assert faults.plan("POST", "/threads").upstreams == ("http://b", "http://a")
    assert faults.plan("POST", "/threads").upstreams == ("http://b", "http://a")
    assert faults.plan("POST", "/threads").upstreams == ("http://a", "http://b")  # in turn


def test_the_kill_delays_are_random_and_reproducible() -> None:
    def delays(seed: int) -> list[float]:
        faults = Faults(seed=seed)
        faults.kill_during("POST", THREAD_CREATE, lambda: None, times=5, within=(0.0, 0.5))
        plans = [faults.plan("POST", "/threads") for _ in range(5)]
        return [plan.kill.after for plan in plans if plan.kill is not None]

    assert delays(7) == delays(7)
    assert delays(7) != delays(8)
    assert len(set(delays(7))) == 5
    assert all(0.0 <= delay <= 0.5 for delay in delays(7))
    reseeded = Faults(seed=1)
    reseeded.seed(7)
    reseeded.kill_during("POST", THREAD_CREATE, lambda: None, times=5, within=(0.0, 0.5))
    kills = [reseeded.plan("POST", "/threads").kill for _ in range(5)]
    assert [k.after for k in kills if k is not None] == delays(7)


def test_one_rule_wins_and_clear_turns_every_fault_off() -> None:
    faults = Faults()
    faults.kill_sender("POST", THREAD_CREATE, lambda: None, forward=False)
    faults.answer(503, "POST", THREAD_CREATE)
    faults.duplicate("POST", THREAD_CREATE)
    faults.lose_response("POST", THREAD_CREATE)
    first = faults.plan("POST", "/threads")
    assert (first.fault, first.forwards, first.answer) == ("sender-killed", False, None)
    second = faults.plan("POST", "/threads")
    assert (second.fault, second.duplicate) == ("answered", None)
    third = faults.plan("POST", "/threads")
    assert third.duplicate is not None
    assert third.fault == "lost"
    faults.offline = True
    faults.kill_during("POST", THREAD_CREATE, lambda: None)
    faults.clear()
    plan = faults.plan("POST", "/threads")
    assert (plan.offline, plan.kill, plan.fault) == (False, None, None)
