"""An in-memory threads API behind ``httpx.MockTransport``, with scripted failures.

Fast unit tests of the engine use it; the real provider is for the end-to-end
tests. It keeps the rules the engine relies on: server-made IDs, idempotent
creates per key (replay, or 422 for another body), 404 for unknown threads.
"""

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from threadpact.models import Message, ServerThread
from threadpact.names import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, PROBLEM_JSON

THREAD_PATH = re.compile(r"/threads/(?P<tid>[^/]+)")
MESSAGES_PATH = re.compile(r"/threads/(?P<tid>[^/]+)/messages")


def problem(status: int, detail: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"type": "about:blank", "title": "Error", "status": status, "detail": detail}
    return httpx.Response(
        status,
        content=json.dumps(body).encode(),
        headers={"content-type": PROBLEM_JSON, **(headers or {})},
    )


@dataclass
class Scripted:
    """An answer (or a raised error) for the next ``times`` matching requests."""

    method: str
    path: re.Pattern[str]
    times: int
    status: int | None = None
    error: type[httpx.TransportError] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    after_commit: bool = False
    """Raise ``error`` only after the server did the work (a lost response)."""


class FakeServer:
    """The threads API in memory."""

    def __init__(self) -> None:
        self.threads: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.keys: dict[tuple[str, str], tuple[str, bytes]] = {}
        self.versions: dict[str, int] = {}
        self.requests: list[httpx.Request] = []
        self.script: list[Scripted] = []
        self.clock = datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail(
        self,
        method: str,
        path: str,
        *,
        status: int | None = None,
        error: type[httpx.TransportError] | None = None,
        times: int = 1,
        headers: dict[str, str] | None = None,
        after_commit: bool = False,
    ) -> None:
        """Answer the next ``times`` requests to ``path`` (a regex) with a failure."""
        self.script.append(
            Scripted(method, re.compile(path), times, status, error, headers or {}, after_commit)
        )

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        """Requests received with this method and a path matching ``path``."""
        pattern = re.compile(path)
        return [r for r in self.requests if r.method == method and pattern.fullmatch(r.url.path)]

    def _now(self) -> datetime:
        self.clock += timedelta(milliseconds=7, microseconds=311)
        return self.clock

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for scripted in self.script:
            if (
                scripted.times > 0
                and scripted.method == request.method
                and scripted.path.fullmatch(request.url.path)
            ):
                scripted.times -= 1
                if scripted.after_commit:
                    self.route(request)
                if scripted.error is not None:
                    raise scripted.error("scripted failure", request=request)
                assert scripted.status is not None
                return problem(scripted.status, "scripted failure", scripted.headers)
        return self.route(request)

    def route(self, request: httpx.Request) -> httpx.Response:
        path, method = request.url.path, request.method
        if request.headers.get("Authorization") != "Bearer good":
            return problem(401, "unknown token", {"WWW-Authenticate": "Bearer"})
        if path == "/threads" and method == "POST":
            return self.create(request, "createThread", self.new_thread)
        if path == "/threads" and method == "GET":
            items = [self.threads[t] for t in reversed(list(self.threads))]
            return httpx.Response(200, json={"items": items, "next_cursor": None})
        if match := MESSAGES_PATH.fullmatch(path):
            tid = match["tid"]
            if tid not in self.threads:
                return problem(404, "no such thread")
            if method == "POST":
                return self.create(request, f"createMessage {tid}", self.new_message(tid))
            return httpx.Response(200, json={"items": self.messages[tid], "next_cursor": None})
        if match := THREAD_PATH.fullmatch(path):
            tid = match["tid"]
            if tid not in self.threads:
                return problem(404, "no such thread")
            if method == "DELETE":
                del self.threads[tid]
                del self.messages[tid]
                return httpx.Response(204)
            if method == "PATCH":
                if_match = request.headers.get("If-Match")
                if if_match not in (None, "*", self.etag(tid)):
                    return problem(412, "stale If-Match")
                self.rename(tid, json.loads(request.content)["title"])
            return httpx.Response(200, json=self.threads[tid], headers={"ETag": self.etag(tid)})
        return problem(404, "no such route")

    def etag(self, tid: str) -> str:
        """The thread's current ETag: its version number, quoted."""
        return f'"{self.versions.get(tid, 1)}"'

    def rename(self, tid: str, title: str) -> None:
        """Change a thread's title (as a request or another device would): a new version."""
        self.threads[tid]["title"] = title
        self.threads[tid]["updated_at"] = self._now().isoformat()
        self.versions[tid] = self.versions.get(tid, 1) + 1

    def create(self, request: httpx.Request, operation: str, build: Any) -> httpx.Response:
        key = request.headers.get(IDEMPOTENCY_KEY)
        if not key:
            return problem(400, "missing Idempotency-Key")
        body = json.loads(request.content)
        fingerprint = json.dumps(body, sort_keys=True)
        stored = self.keys.get((operation.split(maxsplit=1)[0], key))
        if stored is not None:
            if stored[0] != fingerprint + operation:
                return problem(422, "key reused with another body")
            return httpx.Response(201, content=stored[1], headers={IDEMPOTENT_REPLAYED: "true"})
        built = build(body)
        answer = json.dumps(built).encode()
        self.keys[(operation.split(maxsplit=1)[0], key)] = (fingerprint + operation, answer)
        headers = {"content-type": "application/json"}
        if operation == "createThread":
            headers["ETag"] = self.etag(built["id"])
        return httpx.Response(201, content=answer, headers=headers)

    def new_thread(self, body: dict[str, Any]) -> dict[str, Any]:
        now = self._now()
        thread = ServerThread(
            id=uuid.uuid4(),
            title=body.get("title", "New thread"),
            agent_id=body["agent_id"],
            model=body["model"],
            provider=body["provider"],
            created_at=now,
            updated_at=now,
        ).model_dump(mode="json")
        self.threads[thread["id"]] = thread
        self.messages[thread["id"]] = []
        return thread

    def new_message(self, tid: str) -> Any:
        def build(body: dict[str, Any]) -> dict[str, Any]:
            message = Message(
                id=uuid.uuid4(),
                thread_id=uuid.UUID(tid),
                role=body["role"],
                content=body["content"],
                created_at=self._now(),
            ).model_dump(mode="json")
            self.messages[tid].append(message)
            return message

        return build
