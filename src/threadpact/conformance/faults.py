"""The one fault interface a scenario uses, whichever way the client is driven.

A scenario says ``lab.transport.offline = True``, ``lab.transport.lose_response(...)``,
``lab.transport.answer(503, ...)`` and reads ``lab.transport.thread_creates()``; it
does not know whether the client under test is a Python object sending through a
:class:`~threadpact.conformance.transports.LabTransport` or a driver process
talking to a :class:`~threadpact.conformance.proxy.FaultProxy`. Both are
:class:`Faults`: this class holds the switches, the rules, the record, and decides
what happens to each request (:meth:`Faults.plan`); the two subclasses only carry
the plan out on their kind of connection.

Beyond what a scenario uses, the fault campaign needs crashes and a flaky network:
a request delivered twice (:meth:`Faults.duplicate`), the provider killed while it
handles a request (:meth:`Faults.kill_during`), the client killed as its request
leaves (:meth:`Faults.kill_sender`), and several provider processes behind one
address, taken in turn, a process that is down skipped (:meth:`Faults.set_upstreams`).
Random choices come from :attr:`Faults.random`, seeded, so a campaign can be replayed.
"""

import json
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from threadpact.names import IDEMPOTENCY_KEY, IF_MATCH

THREAD_CREATE = re.compile(r"/threads")
MESSAGE_CREATE = re.compile(r"/threads/[^/]+/messages")
THREAD = re.compile(r"/threads/[^/]+")

Action = Callable[[httpx.Request], None]
"""What a ``before`` rule runs, with the request about to go out."""

Crash = Callable[[], None]
"""What a ``kill_during`` or ``kill_sender`` rule runs: a process dies (e.g. SIGKILL)."""

KILLED = "killed"
SENDER_KILLED = "sender-killed"
DUPLICATE = "duplicate"
UPSTREAM = "upstream"


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
    server's place), "delayed" (forwarded and answered late), "upstream" (no upstream
    could be reached: never arrived), "duplicate" (the network's second delivery of the
    request recorded just before), "killed" (the provider was killed while handling it;
    the client got no answer) or "sender-killed" (the client was killed as it sent it;
    ``status`` None: not forwarded, else the answer nobody read)."""
    if_match: str | None = None
    """The request's ``If-Match`` header."""
    began: float = 0.0
    ended: float = 0.0
    """When the request arrived at the lab and when it was done with (``time.monotonic``):
    two requests overlap when each began before the other ended."""
    upstream: str | None = None
    """The base URL of the upstream that took the request (None: it reached none, or the
    lab has no upstream list and sends requests where they are addressed)."""


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


@dataclass
class DuplicateRule(Rule):
    """Forwards a matching request twice."""

    concurrent: bool


@dataclass
class KillDuringRule(Rule):
    """Runs ``action`` a random time in ``within`` after a matching request was sent on."""

    action: Crash
    within: tuple[float, float]
    upstream: int | None


@dataclass
class KillSenderRule(Rule):
    """Runs ``action`` (kills the client), then forwards the request or drops it."""

    action: Crash
    forward: bool


@dataclass(frozen=True)
class Duplicate:
    """Send the request a second time: after the first answer, or at the same time."""

    concurrent: bool


@dataclass(frozen=True)
class Kill:
    """Run ``action`` ``after`` seconds once the request was written to an upstream
    (``upstream``: the index of the one to try first, if the rule named one)."""

    action: Crash
    after: float
    upstream: int | None = None


@dataclass(frozen=True)
class SenderKill:
    """Run ``action`` (the client dies), then forward the request (or not)."""

    action: Crash
    forward: bool


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
    duplicate: Duplicate | None = None
    kill: Kill | None = None
    sender: SenderKill | None = None
    upstreams: tuple[str, ...] = ()
    """The upstreams to try, in order (the next one when one refuses the connection);
    empty when the lab has no list or nothing is forwarded."""

    @property
    def forwards(self) -> bool:
        """Whether the request is sent on to an upstream."""
        return (
            not self.offline
            and self.answer is None
            and (self.sender is None or self.sender.forward)
        )

    @property
    def copy_upstreams(self) -> tuple[str, ...]:
        """Where a duplicate goes: the next upstream first (another process, if any)."""
        return self.upstreams[1:] + self.upstreams[:1]

    @property
    def fault(self) -> str | None:
        """The ``Sent.fault`` of a request that reached the server (or the lab's answer)."""
        if self.sender is not None:
            return SENDER_KILLED
        if self.kill is not None:
            return KILLED
        if self.answer is not None:
            return "answered"
        if self.lose:
            return "lost"
        return "delayed" if self.delay else None


@dataclass(frozen=True)
class Exchange:
    """One request sent on: the upstream that took it (None: none took the connection)
    and its whole answer (None: the exchange failed with ``error``)."""

    upstream: str | None
    response: httpx.Response | None
    error: httpx.TransportError | None = None

    @property
    def status(self) -> int | None:
        """The answer's status, if there was an answer."""
        return self.response.status_code if self.response is not None else None


class Strike:
    """Carries out one ``kill_during``: the countdown starts once the request has been
    written to an upstream (httpx's ``trace`` extension says when), then the action runs
    in a thread of its own while the forwarding thread waits for the answer."""

    def __init__(self, kill: Kill) -> None:
        self.kill = kill
        self.errors: list[BaseException] = []
        """What the action raised."""
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def arm(self, request: httpx.Request) -> httpx.Request:
        """A copy of ``request`` that starts the countdown when it has been sent."""
        previous = request.extensions.get("trace")

        def trace(event: str, info: dict[str, Any]) -> None:
            if previous is not None:
                previous(event, info)
            if event.endswith(".send_request_body.complete"):
                self.start()

        return httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=request.content,
            extensions={**request.extensions, "trace": trace},
        )

    def start(self) -> None:
        """Start the countdown now (once; later calls do nothing)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="kill-during", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        time.sleep(self.kill.after)
        try:
            self.kill.action()
        except BaseException as exc:
            self.errors.append(exc)

    @property
    def started(self) -> bool:
        """Whether the countdown started (the request reached an upstream)."""
        return self._thread is not None

    def finish(self) -> bool:
        """Wait until the action has run; False if it never started."""
        with self._lock:
            thread = self._thread
        if thread is None:
            return False
        thread.join()
        return True


def base_urls(upstreams: str | Sequence[str]) -> tuple[str, ...]:
    """One base URL or several, without trailing slashes."""
    urls = [upstreams] if isinstance(upstreams, str) else list(upstreams)
    return tuple(url.rstrip("/") for url in urls)


class Faults:
    """Switchable faults and the record of every request; subclasses carry the plan out.

    ``seed`` seeds :attr:`random`, which draws every random choice the faults make.
    """

    def __init__(self, *, seed: int | None = None) -> None:
        self.sent: list[Sent] = []
        self.random = random.Random(seed)
        """Where the faults' random choices come from (``kill_during``'s delays)."""
        self._offline = False
        self._lose: list[Rule] = []
        self._before: list[BeforeRule] = []
        self._answers: list[AnswerRule] = []
        self._delays: list[DelayRule] = []
        self._duplicates: list[DuplicateRule] = []
        self._kills: list[KillDuringRule] = []
        self._senders: list[KillSenderRule] = []
        self._upstreams: tuple[str, ...] = ()
        self._turn = 0
        self._lock = threading.Lock()

    def seed(self, value: int | None) -> None:
        """Seed :attr:`random` again (a campaign replays with the same seed)."""
        with self._lock:
            self.random.seed(value)

    # -- the upstreams ----------------------------------------------------------------

    @property
    def upstreams(self) -> tuple[str, ...]:
        """The base URLs requests are forwarded to, in turn."""
        return self._upstreams

    def set_upstreams(self, urls: str | Sequence[str]) -> None:
        """Forward to these base URLs from now on: each request to the next one in turn
        (round-robin); one that refuses the connection (its process is down) is skipped
        for the one after it, like a load balancer does."""
        chosen = base_urls(urls)
        with self._lock:
            self._upstreams = chosen

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

    def duplicate(
        self, method: str, path: re.Pattern[str], times: int = 1, *, concurrent: bool = False
    ) -> None:
        """Deliver the next ``times`` matching requests twice, as a network may.

        The copy is sent once the first answer has arrived (``concurrent``: at the same
        time as the original), to the next upstream in turn, and the client gets the
        first answer only after the copy was answered too, so both are in the record
        (the copy second, fault "duplicate") when the client sees its answer.
        """
        with self._lock:
            self._duplicates.append(DuplicateRule(method, path, times, concurrent))

    def kill_during(
        self,
        method: str,
        path: re.Pattern[str],
        action: Crash,
        times: int = 1,
        within: tuple[float, float] = (0.0, 0.03),
        *,
        upstream: int | None = None,
    ) -> None:
        """Kill the provider while it handles the next ``times`` matching requests.

        Each is forwarded; once it has been written to an upstream, ``action`` (e.g.
        SIGKILL the provider process) runs after a delay drawn uniformly from ``within``
        seconds (:attr:`random`). The client's connection is then dropped without an
        answer, whatever the upstream did: the provider may or may not have committed.
        Recorded as "killed" (with the status if the answer beat the kill, and the
        upstream that took it); "upstream", and no action, if no upstream took it.
        ``upstream`` (an index into :attr:`upstreams`) sends the request there first,
        so that the process ``action`` kills is the one handling it.
        """
        low, high = within
        if not 0 <= low <= high:
            raise ValueError(f"within must be 0 <= low <= high, not {within}")
        with self._lock:
            self._kills.append(KillDuringRule(method, path, times, action, (low, high), upstream))

    def kill_sender(
        self, method: str, path: re.Pattern[str], action: Crash, forward: bool, times: int = 1
    ) -> None:
        """Kill the client as it sends the next ``times`` matching requests.

        ``action`` (e.g. SIGKILL the client process) runs first; then the request is
        forwarded (``forward``: the server commits and nobody reads the answer) or not
        (it never reaches the server), and its connection is dropped. Recorded as
        "sender-killed", with the status of the unread answer if forwarded.
        """
        with self._lock:
            self._senders.append(KillSenderRule(method, path, times, action, forward))

    # -- deciding and recording -----------------------------------------------------

    def plan(self, method: str, path: str) -> Plan:
        """Decide what happens to a request arriving now (using up the rules it matches).

        ``before`` and ``delay`` rules always apply. While offline nothing else does.
        Otherwise the first that matches wins: a ``kill_sender``, an ``answer``, a
        ``kill_during``; failing those, ``duplicate`` and ``lose_response`` (both may).
        A forwarded request takes the next upstream in turn.
        """
        with self._lock:
            before = [rule.action for rule in self._before if rule.take(method, path)]
            delay = sum(rule.seconds for rule in self._delays if rule.take(method, path))
            offline = self._offline
            answer: Answer | None = None
            lose = False
            duplicate: Duplicate | None = None
            kill: Kill | None = None
            sender: SenderKill | None = None
            if not offline:
                sender = self._sender(method, path)
            if not offline and sender is None:
                rule = next((r for r in self._answers if r.take(method, path)), None)
                answer = Answer(rule.status, rule.retry_after) if rule else None
                if answer is None:
                    kill = self._kill(method, path)
                if answer is None and kill is None:
                    copy = next((r for r in self._duplicates if r.take(method, path)), None)
                    duplicate = Duplicate(copy.concurrent) if copy else None
                    lose = any(r.take(method, path) for r in self._lose)
            plan = Plan(before, delay, offline, answer, lose, duplicate, kill, sender)
            if plan.forwards and self._upstreams:
                start = self._turn % len(self._upstreams)
                self._turn += 1
                if kill is not None and kill.upstream is not None:
                    start = kill.upstream % len(self._upstreams)
                order = self._upstreams[start:] + self._upstreams[:start]
                plan = Plan(before, delay, offline, answer, lose, duplicate, kill, sender, order)
        return plan

    def _sender(self, method: str, path: str) -> SenderKill | None:
        rule = next((r for r in self._senders if r.take(method, path)), None)
        return SenderKill(rule.action, rule.forward) if rule else None

    def _kill(self, method: str, path: str) -> Kill | None:
        rule = next((r for r in self._kills if r.take(method, path)), None)
        if rule is None:
            return None
        return Kill(rule.action, self.random.uniform(*rule.within), rule.upstream)

    def clear(self) -> None:
        """Every fault off: online, and no rule left (the record stays)."""
        with self._lock:
            self._offline = False
            for rules in (
                self._lose,
                self._before,
                self._answers,
                self._delays,
                self._duplicates,
                self._kills,
                self._senders,
            ):
                rules.clear()

    def record(
        self,
        method: str,
        path: str,
        headers: httpx.Headers,
        status: int | None,
        fault: str | None,
        *,
        began: float,
        upstream: str | None = None,
    ) -> None:
        """Add one request to the record (``began``: when it arrived, ``time.monotonic``;
        ``upstream``: the base URL that took it)."""
        key, if_match = headers.get(IDEMPOTENCY_KEY), headers.get(IF_MATCH)
        ended = time.monotonic()
        with self._lock:
            self.sent.append(
                Sent(method, path, key, status, fault, if_match, began, ended, upstream)
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
