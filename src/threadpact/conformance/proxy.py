"""A fault-injecting HTTP proxy: the lab's faults for a client in another process.

A driver's client (any language) talks plain HTTP to the proxy's base URL; the
proxy forwards to the real provider with httpx and carries out the plan of
:class:`~threadpact.conformance.faults.Faults`, recording every request:

- offline: the request is read and recorded, then the connection is reset without
  an answer and nothing is forwarded (the client sees a network error). The proxy
  keeps listening so that the attempt is recorded: a refused connection would
  leave no trace of the Idempotency-Key the client sent;
- lost response: forwarded, the provider's answer is read, then the connection is
  reset without answering (the provider committed; the client cannot know);
- an answer in the provider's place (5xx, 409, 429 with ``Retry-After``, ...):
  a problem+json body, nothing forwarded;
- delay: held, then forwarded;
- before: a callback runs in the proxy's thread before forwarding. The suite acts
  there "while the request is in flight", e.g. by sending protocol requests to the
  driver whose client is waiting on this very request. An exception it raises is
  kept in :attr:`FaultProxy.errors` (the lab re-raises it in the test's thread);
- duplicate: forwarded, and once the answer is in, forwarded again (or both at once)
  to the next upstream; the client gets the first answer;
- kill during: forwarded; once written to the upstream, an action (SIGKILL the
  provider) runs in a thread of its own after a random delay; the connection is
  then reset, answer or not;
- kill sender: an action (SIGKILL the client) runs, the request is forwarded or not,
  and the connection is reset.

Several upstreams (``FaultProxy([url, url])``) take requests in turn; one that refuses
the connection (its process is down) is skipped for the next, like a load balancer.
When none takes it the connection is reset (fault "upstream").
"""

import socket
import struct
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx

from threadpact.conformance.faults import (
    DUPLICATE,
    UPSTREAM,
    Action,
    Crash,
    Exchange,
    Faults,
    Plan,
    Strike,
    base_urls,
)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-connection",
        "transfer-encoding",
        "te",
        "trailer",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
    }
)
"""Headers that describe one connection (or an encoding httpx already undid)."""


class FaultProxy(Faults):
    """An HTTP/1.1 proxy on a loopback port in front of ``upstream`` (one base URL, or
    several taken in turn), with the lab's faults; ``seed`` seeds its random choices."""

    def __init__(
        self, upstream: str | Sequence[str], *, port: int = 0, seed: int | None = None
    ) -> None:
        super().__init__(seed=seed)
        self.set_upstreams(upstream)
        self.errors: list[BaseException] = []
        """Exceptions raised by ``before``, ``kill_during`` and ``kill_sender`` actions."""
        self._http = httpx.Client(verify=False, timeout=60.0)  # loopback HTTP; no CA bundle
        self._server = _Server(("127.0.0.1", port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="fault-proxy", daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        """Where a client reaches the provider through the proxy."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def upstream(self) -> str:
        """The first upstream (the only one, unless several were given)."""
        return self.upstreams[0]

    @upstream.setter
    def upstream(self, url: str) -> None:
        self.set_upstreams(url)

    def set_upstreams(self, urls: str | Sequence[str]) -> None:
        """Forward to these base URLs from now on (at least one), in turn."""
        if not base_urls(urls):
            raise ValueError("a proxy needs at least one upstream")
        super().set_upstreams(urls)

    def forward(
        self, method: str, target: str, headers: httpx.Headers, body: bytes
    ) -> httpx.Response:
        """Send a request on to the provider and read its whole answer."""
        exchange = self.exchange(self.upstreams, method, target, headers, body)
        if exchange.response is None:
            assert exchange.error is not None
            raise exchange.error
        return exchange.response

    def exchange(
        self,
        upstreams: Sequence[str],
        method: str,
        target: str,
        headers: httpx.Headers,
        body: bytes,
        strike: Strike | None = None,
    ) -> Exchange:
        """Send a request to the first of ``upstreams`` (all of :attr:`upstreams` if
        empty) that takes the connection, the next one when one is refused, and read its
        whole answer. A failure after the connection was taken is not retried (the
        request may have arrived). ``strike`` starts its countdown once it was written.
        """
        failure: httpx.TransportError | None = None
        for base in upstreams or self.upstreams:
            request = self._http.build_request(method, base + target, headers=headers, content=body)
            if strike is not None:
                request = strike.arm(request)
            try:
                return Exchange(base, self._http.send(request))
            except httpx.ConnectError as exc:
                failure = exc
            except httpx.TransportError as exc:
                return Exchange(base, None, exc)
        return Exchange(None, None, failure)

    def act(self, action: Action, request: httpx.Request) -> None:
        """Run a rule's action, keeping what it raises in :attr:`errors`."""
        try:
            action(request)
        except BaseException as exc:
            self.errors.append(exc)

    def crash(self, action: Crash) -> None:
        """Run a kill rule's action, keeping what it raises in :attr:`errors`."""
        try:
            action()
        except BaseException as exc:
            self.errors.append(exc)

    def first_target(self, plan: Plan) -> str:
        """The upstream a planned request is tried on first."""
        return plan.upstreams[0] if plan.upstreams else self.upstream

    def shutdown(self) -> None:
        """Stop listening, reset open connections, close the upstream client."""
        self._server.shutdown()
        self._server.server_close()
        self._server.reset_all()
        self._thread.join(timeout=5)
        self._http.close()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], proxy: FaultProxy
    ) -> None:
        self.proxy = proxy
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def reset_all(self) -> None:
        """Reset every connection still open."""
        with self.connections_lock:
            open_now = list(self.connections)
        for connection in open_now:
            reset(connection)


def reset(connection: socket.socket) -> None:
    """Abort a connection: the peer gets a reset, not an answer."""
    try:
        connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


class _Handler(BaseHTTPRequestHandler):
    """One client connection: every request on it goes through the proxy's plan."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """Headers and body go out in separate writes: with Nagle's algorithm and delayed
    ACKs each answer would wait about 40 ms."""
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the proxy's record is the log."""

    def _body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def _reply(self, status: int, headers: httpx.Headers, body: bytes) -> None:
        self.send_response_only(status)
        for name, value in headers.multi_items():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        reset(self.connection)

    def _proxy(self) -> None:
        proxy = self.server.proxy
        body = self._body()
        method, path = self.command, urlsplit(self.path).path
        headers = httpx.Headers(
            [(k, v) for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP]
        )
        began = time.monotonic()
        plan = proxy.plan(method, path)
        if plan.before:
            request = httpx.Request(
                method, proxy.first_target(plan) + self.path, headers=headers, content=body
            )
            for action in plan.before:
                proxy.act(action, request)
        if plan.offline:
            proxy.record(method, path, headers, None, "offline", began=began)
            self._drop()
            return
        if plan.delay:
            time.sleep(plan.delay)
        if plan.answer is not None:
            proxy.record(method, path, headers, plan.answer.status, plan.fault, began=began)
            self._reply(
                plan.answer.status, httpx.Headers(plan.answer.headers()), plan.answer.body(path)
            )
            return
        if plan.sender is not None:
            proxy.crash(plan.sender.action)
            self._forward_unanswered(plan, headers, body, None, began)
            return
        if plan.kill is not None:
            strike = Strike(plan.kill)
            self._forward_unanswered(plan, headers, body, strike, began)
            return
        self._forward(plan, headers, body, began)

    def _send(
        self,
        upstreams: Sequence[str],
        headers: httpx.Headers,
        body: bytes,
        strike: Strike | None = None,
    ) -> Exchange:
        return self.server.proxy.exchange(upstreams, self.command, self.path, headers, body, strike)

    def _forward_unanswered(
        self,
        plan: Plan,
        headers: httpx.Headers,
        body: bytes,
        strike: Strike | None,
        began: float,
    ) -> None:
        """Kill sender or kill during: forward (or not), never answer."""
        proxy, path = self.server.proxy, urlsplit(self.path).path
        exchange = Exchange(None, None)
        if plan.forwards:
            exchange = self._send(plan.upstreams, headers, body, strike)
        fault = plan.fault
        if strike is not None:
            if not strike.finish():
                fault = UPSTREAM  # no upstream took it: nothing to kill
            proxy.errors.extend(strike.errors)
        proxy.record(
            self.command,
            path,
            headers,
            exchange.status,
            fault,
            began=began,
            upstream=exchange.upstream,
        )
        self._drop()

    def _forward(self, plan: Plan, headers: httpx.Headers, body: bytes, began: float) -> None:
        """Forward (once, or twice for a duplicate) and answer unless the answer is lost."""
        proxy, method, path = self.server.proxy, self.command, urlsplit(self.path).path
        copies: list[tuple[float, Exchange]] = []

        def deliver_copy() -> None:
            copy_began = time.monotonic()
            copies.append((copy_began, self._send(plan.copy_upstreams, headers, body)))

        concurrent: threading.Thread | None = None
        if plan.duplicate is not None and plan.duplicate.concurrent:
            concurrent = threading.Thread(
                target=deliver_copy, name="fault-proxy-duplicate", daemon=True
            )
            concurrent.start()
        exchange = self._send(plan.upstreams, headers, body)
        fault = plan.fault if exchange.response is not None else UPSTREAM
        proxy.record(
            method,
            path,
            headers,
            exchange.status,
            fault,
            began=began,
            upstream=exchange.upstream,
        )
        if plan.duplicate is not None and concurrent is None and exchange.response is not None:
            deliver_copy()
        if concurrent is not None:
            concurrent.join()
        for copy_began, copy in copies:
            proxy.record(
                method,
                path,
                headers,
                copy.status,
                DUPLICATE,
                began=copy_began,
                upstream=copy.upstream,
            )
        if exchange.response is None or plan.lose:
            self._drop()
            return
        response = exchange.response
        self._reply(response.status_code, response.headers, response.content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _proxy
