"""The one fault interface a scenario uses, whichever way the client is driven.

A scenario says ``lab.transport.offline = True``, ``lab.transport.lose_response(...)``,
``lab.transport.answer(503, ...)`` and reads ``lab.transport.thread_creates()``; it
does not know whether the client under test is a Python object sending through a
:class:`~threadpact.conformance.transports.LabTransport` or a driver process
talking to a :class:`~threadpact.conformance.proxy.FaultProxy`. Both are
:class:`Faults`: this class holds the switches, the rules, the record, and decides
what happens to each request (:meth:`Faults.plan`); the two subclasses only carry
the plan out on their kind of connection.
"""

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from threadpact.names import IDEMPOTENCY_KEY, IF_MATCH

THREAD_CREATE = re.compile(r"/threads")
MESSAGE_CREATE = re.compile(r"/threads/[^/]+/messages")
THREAD = re.compile(r"/threads/[^/]+")

Action = Callable[[httpx.Request], None]
"""What a ``before`` rule runs, with the request about to go out."""


@dataclass(frozen=True)
class Sent:
    """One request as it left the client, and what became of it."""

    method: str
    path: str
    key: str | None
    status: int | None
    """The status the client was answered (or would have been), None when none existed."""
    fault: str | None = None
    """None (forwarded and answered), "offline" (never reached the server), "lost" (the
    server answered, the answer was dropped), "answered" (the lab answered in the
    server's place) or "delayed" (forwarded and answered late)."""
    if_match: str | None = None
    """The request's ``If-Match`` header."""
    began: float = 0.0
    ended: float = 0.0
    """When the request arrived at the lab and when it was done with (``time.monotonic``):
    two requests overlap when each began before the other ended."""


@dataclass
class Rule:
    """Applies to requests matching ``method`` and the full ``path`` pattern, ``times`` times."""

    method: str
    path: re.Pattern[str]
    times: int

    def take(self, method: str, path: str) -> bool:
        """Whether the rule applies (using up one of its times if so)."""
        if self.times <= 0 or method != self.method or not self.path.fullmatch(path):
            return False
        self.times -= 1
        return True


@dataclass
class BeforeRule(Rule):
    """Runs ``action`` just before a matching request is sent on."""

    action: Action


@dataclass
class AnswerRule(Rule):
    """Answers a matching request with ``status`` without forwarding it."""

    status: int
    retry_after: float | None


@dataclass
class DelayRule(Rule):
    """Holds a matching request ``seconds`` before forwarding it."""

    seconds: float


@dataclass(frozen=True)
class Answer:
    """An answer the lab gives in the server's place."""

    status: int
    retry_after: float | None

    def headers(self) -> dict[str, str]:
        """The answer's headers: problem+json, and Retry-After if set."""
        headers = {"content-type": "application/problem+json"}
        if self.retry_after is not None:
            headers["retry-after"] = f"{self.retry_after:g}"
        return headers

    def body(self, path: str) -> bytes:
        """An RFC 9457 problem naming the status."""
        return json.dumps(
            {
                "type": f"urn:threadpact:lab:{self.status}",
                "title": "injected by the conformance lab",
                "status": self.status,
                "detail": f"the lab answered {self.status} in the server's place",
                "instance": path,
            }
        ).encode()


@dataclass(frozen=True)
class Plan:
    """What happens to one request, decided when it arrives."""

    before: list[Action]
    delay: float
    offline: bool
    answer: Answer | None
    lose: bool

    @property
    def fault(self) -> str | None:
        """The ``Sent.fault`` of a request that reached the server (or the lab's answer)."""
        if self.answer is not None:
            return "answered"
        if self.lose:
            return "lost"
        return "delayed" if self.delay else None


class Faults:
    """Switchable faults and the record of every request; subclasses carry the plan out."""

    def __init__(self) -> None:
        self.sent: list[Sent] = []
        self._offline = False
        self._lose: list[Rule] = []
        self._before: list[BeforeRule] = []
        self._answers: list[AnswerRule] = []
        self._delays: list[DelayRule] = []
        self._lock = threading.Lock()

    # -- the switches ---------------------------------------------------------------

    @property
    def offline(self) -> bool:
        """While True, no request reaches the server (the client sees a network error)."""
        return self._offline

    @offline.setter
    def offline(self, value: bool) -> None:
        self._offline = value

    def lose_response(self, method: str, path: re.Pattern[str], times: int = 1) -> None:
        """Let the next ``times`` matching requests reach the server, then drop the answer."""
        with self._lock:
            self._lose.append(Rule(method, path, times))

    def before(self, method: str, path: re.Pattern[str], action: Action, times: int = 1) -> None:
        """Run ``action`` when the next matching request goes out, before it is sent on."""
        with self._lock:
            self._before.append(BeforeRule(method, path, times, action))

    def answer(
        self,
        status: int,
        method: str,
        path: re.Pattern[str],
        times: int = 1,
        retry_after: float | None = None,
    ) -> None:
        """Answer the next ``times`` matching requests with ``status`` (a problem+json
        body, ``Retry-After`` if given) without forwarding them: the server sees nothing."""
        with self._lock:
            self._answers.append(AnswerRule(method, path, times, status, retry_after))

    def delay(self, seconds: float, method: str, path: re.Pattern[str], times: int = 1) -> None:
        """Hold the next ``times`` matching requests ``seconds`` before forwarding them."""
        with self._lock:
            self._delays.append(DelayRule(method, path, times, seconds))

    # -- deciding and recording -----------------------------------------------------

    def plan(self, method: str, path: str) -> Plan:
        """Decide what happens to a request arriving now (using up the rules it matches)."""
        with self._lock:
            before = [rule.action for rule in self._before if rule.take(method, path)]
            delay = sum(rule.seconds for rule in self._delays if rule.take(method, path))
            offline = self._offline
            answer: Answer | None = None
            lose = False
            if not offline:
                rule = next((r for r in self._answers if r.take(method, path)), None)
                answer = Answer(rule.status, rule.retry_after) if rule else None
                lose = answer is None and any(r.take(method, path) for r in self._lose)
        return Plan(before, delay, offline, answer, lose)

    def record(
        self,
        method: str,
        path: str,
        headers: httpx.Headers,
        status: int | None,
        fault: str | None,
        *,
        began: float,
    ) -> None:
        """Add one request to the record (``began``: when it arrived, ``time.monotonic``)."""
        key, if_match = headers.get(IDEMPOTENCY_KEY), headers.get(IF_MATCH)
        with self._lock:
            self.sent.append(
                Sent(method, path, key, status, fault, if_match, began, time.monotonic())
            )

    def shutdown(self) -> None:
        """Release what the lab holds (subclasses)."""

    # -- reading the record -----------------------------------------------------------

    def matching(self, method: str, path: re.Pattern[str]) -> list[Sent]:
        """Every recorded request with this method and path."""
        with self._lock:
            return [s for s in self.sent if s.method == method and path.fullmatch(s.path)]

    def thread_creates(self) -> list[Sent]:
        """Every POST /threads, in order."""
        return self.matching("POST", THREAD_CREATE)

    def message_creates(self) -> list[Sent]:
        """Every POST /threads/{id}/messages, in order."""
        return self.matching("POST", MESSAGE_CREATE)

    def renames(self) -> list[Sent]:
        """Every PATCH /threads/{id}, in order."""
        return self.matching("PATCH", THREAD)

    def deletes(self) -> list[Sent]:
        """Every DELETE /threads/{id}, in order."""
        return self.matching("DELETE", THREAD)
