"""The bench a conformance test works on, and ``expect``, which names the broken rule."""

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn, Protocol

import pytest

from threadpact.client.adapter import ClientUnderTest
from threadpact.client.api import ThreadsApi
from threadpact.client.invariants import INVARIANT_RULES, ServerView, check_synced, server_view
from threadpact.conformance.faults import Faults
from threadpact.models import LocalThread


def broken(rule: str, message: str) -> NoReturn:
    """Fail the test, saying which contract rule broke."""
    assert rule in INVARIANT_RULES, f"unknown rule {rule!r}"
    pytest.fail(f"rule {rule}: {message}", pytrace=False)


def expect(condition: bool, rule: str, message: str) -> None:
    """Fail with ``rule <rule>: <message>`` unless ``condition`` holds."""
    if not condition:
        broken(rule, message)


class Opener(Protocol):
    """How a lab opens the client under test: a Python factory, or a driver process."""

    def open(self, token: str) -> ClientUnderTest:
        """A client on the lab's store, authenticated with ``token`` (the previous one closed)."""
        ...

    def close(self) -> None:
        """Close the open client, if any."""
        ...

    def stop(self) -> None:
        """Close the client and release what the opener started (a driver process)."""
        ...


@dataclass
class Lab:
    """A client under test, the faults it talks through, and a view of the server."""

    token: str
    store_path: Path
    transport: Faults
    """The lab's faults and record (a LabTransport or a FaultProxy: one interface)."""
    opener: Opener
    observer: ThreadsApi
    new_opener: Callable[[], Opener]
    """An opener for one more tab on the same store (a process of its own for a driver)."""
    current: ClientUnderTest | None = None
    tabs: list[Opener] = field(default_factory=list)
    _tab_openers: dict[int, Opener] = field(default_factory=dict, repr=False)

    def open(self, token: str | None = None) -> ClientUnderTest:
        """A new client on the store (closing the previous one: a page reload)."""
        self.current = self.opener.open(token or self.token)
        return self.current

    def open_tab(self, token: str | None = None) -> ClientUnderTest:
        """One more client on the same store, open at the same time as the others:
        another tab of the same browser (its own process, for a driver)."""
        opener = self.new_opener()
        self.tabs.append(opener)
        client = opener.open(token or self.token)
        self._tab_openers[id(client)] = opener
        return client

    def close_tab(self, client: ClientUnderTest) -> None:
        """Close a tab :meth:`open_tab` opened (its client is closed; the others stay open)."""
        opener = self._tab_openers.pop(id(client), None)
        if opener is None:
            raise ValueError("close_tab closes only a client that open_tab opened")
        opener.close()

    def close(self) -> None:
        """Close the client this lab opened last, and every extra tab."""
        self.opener.close()
        self.current = None
        for tab in self.tabs:
            tab.close()

    def server(self) -> ServerView:
        """What the server holds for this user now."""
        return server_view(self.observer)

    def check_synced(
        self, client: ClientUnderTest, *, temporary_ids: set[str], creations: int | None
    ) -> list[LocalThread]:
        """Assert the contract's invariants after the outbox drained; return the threads."""
        threads = client.threads()
        violations = check_synced(
            threads, self.server(), temporary_ids=temporary_ids, creations=creations
        )
        if violations:
            pytest.fail("\n".join(str(v) for v in violations), pytrace=False)
        return threads


def only_thread(client: ClientUnderTest) -> LocalThread:
    """The client's one thread (fails naming the rule if it shows none or several)."""
    threads = client.threads()
    expect(len(threads) != 0, "nothing-deleted", "the client shows no thread at all")
    expect(
        len(threads) == 1,
        "no-duplicates",
        f"the client shows {len(threads)} threads for one creation: {[t.id for t in threads]}",
    )
    return threads[0]
