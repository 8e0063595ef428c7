"""The httpx transport the suite hands a client: a recorder with switchable faults around real HTTP.

The client under test sends every request through a :class:`LabTransport`, which
records it (method, path, Idempotency-Key, outcome) and can fake the network
going down, lose a response after the server committed, or run a callback just
before a request goes out (to act "while the create is in flight").
"""

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from threadpact.names import IDEMPOTENCY_KEY

THREAD_CREATE = re.compile(r"/threads")
MESSAGE_CREATE = re.compile(r"/threads/[^/]+/messages")


@dataclass(frozen=True)
class Sent:
    """One request as it left the client, and what became of it."""

    method: str
    path: str
    key: str | None
    status: int | None
    """The server's status, or None when no answer reached the client."""
    fault: str | None = None
    """"offline" (never sent) or "lost" (sent and answered, answer dropped)."""


@dataclass
class Rule:
    """Applies to requests matching ``method`` and the full ``path`` pattern, ``times`` times."""

    method: str
    path: re.Pattern[str]
    times: int
    action: Callable[[httpx.Request], None] | None = None

    def take(self, request: httpx.Request) -> bool:
        """Whether the rule applies to ``request`` (using up one of its times if so)."""
        if self.times <= 0 or request.method != self.method:
            return False
        if not self.path.fullmatch(request.url.path):
            return False
        self.times -= 1
        return True


class LabTransport(httpx.BaseTransport):
    """Real HTTP with recording and injectable faults."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        # Loopback HTTP only: skipping the CA bundle makes each transport cheap to build.
        self.inner = inner or httpx.HTTPTransport(verify=False)
        self.sent: list[Sent] = []
        self.offline = False
        self._lose: list[Rule] = []
        self._before: list[Rule] = []
        self._lock = threading.Lock()

    def lose_response(self, method: str, path: re.Pattern[str], times: int = 1) -> None:
        """Let the next ``times`` matching requests reach the server, then drop the answer."""
        self._lose.append(Rule(method, path, times))

    def before(
        self,
        method: str,
        path: re.Pattern[str],
        action: Callable[[httpx.Request], None],
        times: int = 1,
    ) -> None:
        """Run ``action`` just before the next matching request is sent."""
        self._before.append(Rule(method, path, times, action))

    def _record(self, request: httpx.Request, status: int | None, fault: str | None) -> None:
        with self._lock:
            self.sent.append(
                Sent(
                    request.method,
                    request.url.path,
                    request.headers.get(IDEMPOTENCY_KEY),
                    status,
                    fault,
                )
            )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for rule in self._before:
            if rule.take(request) and rule.action is not None:
                rule.action(request)
        if self.offline:
            self._record(request, None, "offline")
            raise httpx.ConnectError("network is down (test)", request=request)
        response = self.inner.handle_request(request)
        if any(rule.take(request) for rule in self._lose):
            response.read()
            response.close()
            self._record(request, response.status_code, "lost")
            raise httpx.ReadError("connection reset before the answer arrived (test)")
        self._record(request, response.status_code, None)
        return response

    def close(self) -> None:
        """Kept open across client reloads; :meth:`shutdown` closes it."""

    def shutdown(self) -> None:
        """Close the real transport."""
        self.inner.close()

    # -- reading the record -------------------------------------------------------

    def matching(self, method: str, path: re.Pattern[str]) -> list[Sent]:
        """Every recorded request with this method and path."""
        return [s for s in self.sent if s.method == method and path.fullmatch(s.path)]

    def thread_creates(self) -> list[Sent]:
        """Every POST /threads, in order."""
        return self.matching("POST", THREAD_CREATE)

    def message_creates(self) -> list[Sent]:
        """Every POST /threads/{id}/messages, in order."""
        return self.matching("POST", MESSAGE_CREATE)
