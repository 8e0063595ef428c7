"""The lab's faults behave the same through the httpx transport and through the proxy.

Each test runs twice: a client sending through a :class:`LabTransport`, and a
client talking plain HTTP to a :class:`FaultProxy`; both in front of a tiny
upstream that counts what reaches it.
"""

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from threadpact.conformance.faults import THREAD_CREATE, Faults, Sent
from threadpact.conformance.proxy import FaultProxy
from threadpact.conformance.transports import LabTransport
from threadpact.names import IDEMPOTENCY_KEY

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
    assert bench.faults.thread_creates() == [Sent("POST", "/threads", "temporary-1", 201, None)]
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
