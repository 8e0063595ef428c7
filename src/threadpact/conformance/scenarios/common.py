"""What the scenarios share: a thread's fields, key checks, status checks, and acting
while a request is in flight."""

import threading
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

import httpx

from threadpact.client.adapter import ClientUnderTest
from threadpact.conformance.driver import DriverBroken
from threadpact.conformance.faults import Sent
from threadpact.conformance.lab import Lab, broken, expect, only_thread
from threadpact.models import LocalThread, Message

THREAD = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai"}
"""The agent, model and provider of the scenarios' threads."""

IN_FLIGHT_TIMEOUT = 10.0
"""Seconds an action run while a request is in flight may take before it counts as stuck."""

T = TypeVar("T")


def keys_agree(lab: Lab, first_key: str | None, rule: str = "same-key-on-retry") -> None:
    """Every create attempt recorded so far sent the first attempt's key."""
    for attempt in lab.transport.thread_creates():
        expect(
            attempt.key == first_key,
            rule,
            f"the retry sent key {attempt.key}, the first attempt sent key {first_key}",
        )


def create_keys_within(
    lab: Lab, temporaries: Collection[str], rule: str = "same-key-on-retry"
) -> None:
    """Every create attempt recorded so far sent one of the threads' temporary IDs."""
    for sent in lab.transport.thread_creates():
        expect(
            sent.key in temporaries,
            rule,
            f"a create sent key {sent.key}; the threads' temporary ids are {sorted(temporaries)}",
        )


def keys_of(sent: Iterable[Sent]) -> list[str | None]:
    """The Idempotency-Key of each request, in order."""
    return [s.key for s in sent]


def statuses_of(sent: Iterable[Sent]) -> list[int | None]:
    """The status each request was answered (None: no answer existed), in order."""
    return [s.status for s in sent]


def message_keys_agree(lab: Lab, message_ids: Collection[str], rule: str = "message-key") -> None:
    """Every message create recorded so far sent the ID of one of ``message_ids`` as its key."""
    for attempt in lab.transport.message_creates():
        expect(
            attempt.key in message_ids,
            rule,
            f"a message create sent key {attempt.key}, the messages' ids are {sorted(message_ids)}",
        )


def thread_of(client: ClientUnderTest, thread_id: str) -> LocalThread | None:
    """The client's thread that has, or once had, ``thread_id`` (None if it shows none)."""
    for thread in client.threads():
        if thread.id == thread_id or thread_id in thread.aliases:
            return thread
    return None


def contents(thread: LocalThread | None) -> list[str]:
    """A local thread's message texts, in order (none for no thread)."""
    return [] if thread is None else [m.content for m in thread.messages]


def server_contents(messages: Iterable[Message]) -> list[str]:
    """Server messages' texts, in order."""
    return [m.content for m in messages]


def failed_with(
    lab: Lab, status: int, title: str, texts: list[str], rule: str = "stop-on-permanent"
) -> str:
    """Assert the client's one thread is failed naming ``status`` and kept whole; its ID."""
    client = lab.current
    assert client is not None, "no client is open"
    thread = only_thread(client)
    expect(
        thread.syncStatus == "failed",
        rule,
        f"after a {status} the thread is {thread.syncStatus}, not failed",
    )
    expect(
        str(status) in (thread.syncError or ""),
        rule,
        f"the failed thread's reason {thread.syncError!r} does not name the {status}",
    )
    expect(
        thread.title == title and contents(thread) == texts,
        "nothing-deleted",
        f"the failed thread lost data: {thread.title!r} {contents(thread)}",
    )
    return thread.id


def pending_after(lab: Lab, status: int | str, rule: str) -> LocalThread:
    """Assert the client's one thread is still pending (not failed) after ``status``."""
    client = lab.current
    assert client is not None, "no client is open"
    thread = only_thread(client)
    expect(
        thread.syncStatus == "pending",
        rule,
        f"after a {status} the thread is {thread.syncStatus} ({thread.syncError!r}), "
        "not pending: the same request may succeed later",
    )
    return thread


def attempt(rule: str, what: str, action: Callable[[], T]) -> T:
    """Run a client call that the rule says must work; an error fails naming the rule.

    A driver that crashed or hung still fails as :class:`DriverBroken`.
    """
    try:
        return action()
    except DriverBroken:
        raise
    except Exception as exc:
        error = exc
    # Failed outside the except block, so the report shows no chained traceback.
    return broken(rule, f"{what} failed: {describe(error)}")


def describe(error: BaseException) -> str:
    """An exception's type and the first line of its message."""
    text = str(error)
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


@dataclass
class Outcome(Generic[T]):
    """What an action run while a request was in flight did."""

    value: T | None = None
    error: BaseException | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def result(self, rule: str, what: str) -> T:
        """The action's value; fails naming ``rule`` if it raised or never finished."""
        if not self.finished.is_set():
            broken(
                rule,
                f"{what} did not answer within {IN_FLIGHT_TIMEOUT:g} s while the request "
                "was in flight",
            )
        if isinstance(self.error, DriverBroken):
            raise self.error
        if self.error is not None:
            broken(rule, f"{what} failed: {describe(self.error)}")
        return cast(T, self.value)


def while_in_flight(action: Callable[[], T]) -> tuple[Callable[[httpx.Request], None], Outcome[T]]:
    """A ``before`` action that runs ``action`` while the request is held, and its outcome.

    ``action`` runs in a thread of its own and is waited for at most
    :data:`IN_FLIGHT_TIMEOUT` seconds, so a client that blocks while its request is
    in flight fails the scenario instead of hanging it.
    """
    outcome: Outcome[T] = Outcome()

    def run() -> None:
        try:
            outcome.value = action()
        except BaseException as exc:
            outcome.error = exc
        finally:
            outcome.finished.set()

    def before(request: httpx.Request) -> None:
        del request  # the matching request is the one held
        worker = threading.Thread(target=run, name="in-flight-action", daemon=True)
        worker.start()
        outcome.finished.wait(IN_FLIGHT_TIMEOUT)

    return before, outcome


def thread_summary(thread: LocalThread) -> dict[str, Any]:
    """What a reload must keep of a thread (everything but its reason and last-change time)."""
    return {
        "title": thread.title,
        "agentId": thread.agentId,
        "model": thread.model,
        "provider": thread.provider,
        "createdAt": thread.createdAt,
        "syncStatus": thread.syncStatus,
        "aliases": sorted(thread.aliases),
        "messages": [(m.id, m.role, m.content, m.syncStatus, m.clientId) for m in thread.messages],
    }
