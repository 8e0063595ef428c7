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
  kept in :attr:`FaultProxy.errors` (the lab re-raises it in the test's thread).
"""

import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx

from threadpact.conformance.faults import Faults

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
    """An HTTP/1.1 proxy on a loopback port in front of ``upstream``, with the lab's faults."""

    def __init__(self, upstream: str, *, port: int = 0) -> None:
        super().__init__()
        self.upstream = upstream.rstrip("/")
        self.errors: list[BaseException] = []
        """Exceptions raised by ``before`` callbacks, in order."""
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

    def forward(
        self, method: str, target: str, headers: httpx.Headers, body: bytes
    ) -> httpx.Response:
        """Send a request on to the provider and read its whole answer."""
        return self._http.request(method, self.upstream + target, headers=headers, content=body)

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
                method, proxy.upstream + self.path, headers=headers, content=body
            )
            for action in plan.before:
                try:
                    action(request)
                except BaseException as exc:
                    proxy.errors.append(exc)
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
        try:
            response = proxy.forward(method, self.path, headers, body)
        except httpx.TransportError:
            proxy.record(method, path, headers, None, "upstream", began=began)
            self._drop()
            return
        proxy.record(method, path, headers, response.status_code, plan.fault, began=began)
        if plan.lose:
            self._drop()
            return
        self._reply(response.status_code, response.headers, response.content)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _proxy
