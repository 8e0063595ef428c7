"""A loopback relay between pact's verifier and the provider's state-change endpoint.

Pact's verifier retries a state change that answers 5xx for minutes, and waits as
long as the endpoint keeps a request open. The relay forwards each state change
with a timeout. When the provider answers 2xx to 4xx, the answer passes through
unchanged. When it answers 5xx, does not answer in time, or cannot be reached, the
relay records the failure (the state, the provider's status and body) and answers
the verifier 424 at once, so the verifier reports the interaction and moves on.

Once the endpoint has failed to answer in time, later state changes fail at once
instead of each waiting out the timeout. When the provider as a whole is gone
(it refuses connections, or ``GET /`` goes unanswered too), :attr:`StateRelay.broken`
says so, and verification should stop.
"""

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from threadpact.gate.activity import doing
from threadpact.names import PROBLEM_JSON

BODY_SHOWN = 2_000
PROBE_TIMEOUT = 5.0


@dataclass(frozen=True)
class StateFailure:
    """A state change the provider could not make."""

    state: str
    action: str
    reason: str
    """The provider's status line, or why there was none."""
    body: str = ""


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        status, content_type, answer = self.server.relay.forward(body)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the relay reports through its failures, not a log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, relay: "StateRelay") -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.relay = relay


class StateRelay:
    """Forwards state changes to ``target``; :attr:`url` is what the verifier calls."""

    def __init__(self, target: str, *, timeout: float, base_url: str) -> None:
        self.target = target
        self.timeout = timeout
        self.probe_url = base_url.rstrip("/") + "/"
        self.failures: list[StateFailure] = []
        self.broken: str | None = None
        """What is wrong with the whole provider, when a state change showed it."""
        self._silent_since: str | None = None
        self._lock = threading.Lock()
        self._server = _Server(self)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The relay's address, for the verifier's state handler."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    def __enter__(self) -> "StateRelay":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def take_failures(self) -> list[StateFailure]:
        """The failures recorded since the last call."""
        with self._lock:
            taken, self.failures = self.failures, []
        return taken

    def forward(self, body: bytes) -> tuple[int, str, bytes]:
        """Send one state change on; the status, content type and body for the verifier."""
        state, action = _describe(body)
        if self._silent_since is not None:
            reason = f"not sent: the state endpoint stopped answering at {self._silent_since}"
            return self._failed(StateFailure(state, action, reason))
        doing(f"setting up the provider state '{state}' ({action}) at {self.target}")
        started = time.monotonic()
        try:
            answer = httpx.post(
                self.target,
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=self.timeout,
            )
        except httpx.TimeoutException:
            self._silent_since = f"'{state}' ({action})"
            reason = f"no answer within {self.timeout:g} s"
            if not self._answers():
                self.broken = (
                    f"stopped answering (no answer to POST {self.target} within "
                    f"{self.timeout:g} s, nor to GET {self.probe_url} within {PROBE_TIMEOUT:g} s)"
                )
            return self._failed(StateFailure(state, action, reason))
        except httpx.ConnectError as exc:
            self.broken = f"stopped accepting connections (POST {self.target}: {exc})"
            return self._failed(StateFailure(state, action, f"cannot connect: {exc}"))
        except httpx.HTTPError as exc:
            return self._failed(StateFailure(state, action, f"no answer: {exc}"))
        seconds = time.monotonic() - started
        if answer.status_code >= 500:
            reason = f"HTTP {answer.status_code} after {seconds:.1f} s"
            text = answer.content[:BODY_SHOWN].decode("utf-8", errors="replace")
            return self._failed(StateFailure(state, action, reason, text))
        content_type = answer.headers.get("Content-Type", "application/json")
        return answer.status_code, content_type, answer.content

    def _answers(self) -> bool:
        """Whether the provider answers anything at all (any status) at its root."""
        try:
            httpx.get(self.probe_url, timeout=PROBE_TIMEOUT)
        except httpx.HTTPError:
            return False
        return True

    def _failed(self, failure: StateFailure) -> tuple[int, str, bytes]:
        with self._lock:
            self.failures.append(failure)
        detail = f"the provider state '{failure.state}' failed: {failure.reason}"
        body = {"title": "state change failed", "status": 424, "detail": detail}
        return 424, PROBLEM_JSON, json.dumps(body).encode()


def _describe(body: bytes) -> tuple[str, str]:
    """The state name and action of a state-change body, as far as they can be read."""
    try:
        payload = json.loads(body)
    except ValueError:
        return "?", "?"
    if not isinstance(payload, dict):
        return "?", "?"
    return str(payload.get("state") or ""), str(payload.get("action") or "setup")
