"""The two ways a lab opens a client: a Python factory, or a driver process.

A second ``lab.open()`` is a page reload. Through a factory it is a new object on
the same store. Through a driver it is the ``reload`` operation when the token is
unchanged, and a new ``open`` when a test signs in as someone else (``open``
closes the previous instance first, so the driver never runs two at once).
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from threadpact.client.adapter import ClientFactory, ClientUnderTest
from threadpact.conformance.driver import DriverClient, DriverProcess
from threadpact.conformance.transports import LabTransport


@dataclass
class FactoryOpener:
    """Builds each client with a Python factory, sending through the lab's transport."""

    factory: ClientFactory
    base_url: str
    store_path: Path
    transport: LabTransport
    current: ClientUnderTest | None = None

    def open(self, token: str) -> ClientUnderTest:
        """Close the open client, build a new one on the same store."""
        self.close()
        self.current = self.factory(
            base_url=self.base_url,
            token=token,
            store_path=self.store_path,
            transport=self.transport,
        )
        return self.current

    def close(self) -> None:
        """Close the open client."""
        if self.current is not None:
            client, self.current = self.current, None
            client.close()

    def stop(self) -> None:
        """Close the open client (nothing else to release)."""
        self.close()


@dataclass
class DriverOpener:
    """Opens clients in one driver process, started on the first ``open``.

    ``base_url`` is the fault proxy's; ``after_call`` runs after every answer.
    """

    start: Callable[[], DriverProcess]
    base_url: str
    store_path: Path
    after_call: Callable[[], None] = lambda: None
    process: DriverProcess | None = None
    current: DriverClient | None = None
    token: str | None = None

    def open(self, token: str) -> ClientUnderTest:
        """``reload`` the open client (same token), or ``open`` a new one."""
        if self.process is None:
            self.process = self.start()
        if self.current is not None and not self.current.stale and token == self.token:
            self.process.call("reload")
        else:
            arguments = {"base_url": self.base_url, "token": token}
            self.process.call("open", **arguments, store_path=str(self.store_path))
        if self.current is not None:
            self.current.stale = True
        self.token = token
        self.current = DriverClient(self.process, self.after_call)
        self.after_call()
        return self.current

    def close(self) -> None:
        """``close`` the open client."""
        if self.current is not None:
            client, self.current = self.current, None
            client.close()

    def stop(self) -> None:
        """Close the client if the driver still answers, then stop the driver."""
        try:
            if self.process is not None and self.process.broken is None:
                self.close()  # an error answer to close fails the test at teardown
        finally:
            if self.process is not None:
                self.process.stop()


DRIVER = pytest.StashKey[DriverOpener]()
"""Where a test's driver opener is kept (the plugin shows its stderr when the test fails)."""
