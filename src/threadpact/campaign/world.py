"""What a campaign runs against: providers, one faulty network per user, client processes.

Every user has a fault proxy of their own in front of the provider pool (their
device's network) and one store shared by their tabs; each tab is a client process
speaking the driver protocol (docs/driver-protocol.md), so the campaign can kill it
with SIGKILL at any moment and start it again on the same store. Each example of
the campaign starts from a clean slate: the users' server threads deleted, new
store files, faults cleared.
"""

import contextlib
import os
import signal
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from threadpact.campaign.providers import ProviderPool
from threadpact.client.api import ThreadsApi
from threadpact.conformance.driver import DriverBroken, DriverClient, DriverError, DriverProcess
from threadpact.conformance.proxy import FaultProxy

DRIVER_TIMEOUT = 60.0


@dataclass
class Tab:
    """One client process: a tab of a user's browser."""

    user: str
    number: int
    command: str
    folder: Path
    cwd: Path
    process: DriverProcess | None = None
    client: DriverClient | None = None
    starts: int = 0

    @property
    def name(self) -> str:
        """``alice/tab1``."""
        return f"{self.user}/tab{self.number}"

    def open(self, base_url: str, token: str, store_path: Path) -> DriverClient:
        """A client on ``store_path`` (the process started if it is not running)."""
        if not self.alive:
            self.stop()
            self.starts += 1
            log = self.folder / f"{self.user}-tab{self.number}-{self.starts}.log"
            self.process = DriverProcess(
                self.command, cwd=self.cwd, log=log, timeout=DRIVER_TIMEOUT
            )
        assert self.process is not None
        self.process.call("open", base_url=base_url, token=token, store_path=str(store_path))
        self.client = DriverClient(self.process)
        return self.client

    def kill(self) -> None:
        """SIGKILL the client process at once (a crash: no chance to save anything)."""
        if self.process is not None and self.process.process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.process.pid, signal.SIGKILL)
            self.process.process.wait()

    @property
    def alive(self) -> bool:
        """Whether the client process still answers."""
        return (
            self.process is not None
            and self.process.broken is None
            and self.process.process.poll() is None
        )

    def stop(self) -> None:
        """End the process (closing its client if it still answers)."""
        if self.process is not None:
            if self.alive and self.client is not None:
                with contextlib.suppress(DriverBroken, DriverError):
                    self.client.close()
            self.process.stop(grace=2.0)
        self.process = None
        self.client = None


@dataclass
class User:
    """A principal: a token, a network (proxy), a store and tabs."""

    name: str
    token: str
    proxy: FaultProxy
    tabs: list[Tab] = field(default_factory=list)
    store_path: Path | None = None


class World:
    """Providers, users and their clients, reset for every example."""

    def __init__(
        self,
        pool: ProviderPool,
        *,
        client_command: str,
        tabs: dict[str, int],
        tokens: dict[str, str],
        folder: Path,
        cwd: Path,
        seed: int = 0,
    ) -> None:
        self.pool = pool
        self.folder = folder
        self.examples = 0
        self.users: list[User] = []
        for name, count in tabs.items():
            proxy = FaultProxy(pool.base_urls, seed=seed + len(self.users))
            user = User(name, tokens[name], proxy)
            user.tabs = [
                Tab(name, number + 1, client_command, folder, cwd) for number in range(count)
            ]
            self.users.append(user)

    @property
    def tabs(self) -> list[Tab]:
        """Every tab of every user."""
        return [tab for user in self.users for tab in user.tabs]

    def user(self, name: str) -> User:
        """The user called ``name``."""
        return next(u for u in self.users if u.name == name)

    def begin(self) -> None:
        """A clean slate: faults cleared, providers up, no server threads, fresh stores."""
        self.examples += 1
        self.heal_network()
        for user in self.users:
            with self.observer(user) as observer:
                for thread in list(observer.iter_threads()):
                    observer.delete_thread(thread.id)
            user.store_path = self.folder / f"example-{self.examples}" / f"{user.name}.json"
            user.store_path.parent.mkdir(parents=True, exist_ok=True)
            for tab in user.tabs:
                self.open(tab)

    def open(self, tab: Tab) -> DriverClient:
        """(Re)open a tab on its user's store, through its user's network."""
        user = self.user(tab.user)
        assert user.store_path is not None
        return tab.open(user.proxy.base_url, user.token, user.store_path)

    def heal_network(self) -> None:
        """Every fault off, every provider up."""
        for user in self.users:
            user.proxy.clear()
        self.pool.restart_dead()

    def observer(self, user: User) -> ThreadsApi:
        """The user's API, straight to a provider that is up (no faults in between)."""
        url = next(
            (u for i, u in enumerate(self.pool.base_urls) if self.pool.alive(i)),
            self.pool.base_urls[0],
        )
        return ThreadsApi(url, user.token, transport=httpx.HTTPTransport(verify=False))

    def close(self) -> None:
        """Stop every client and proxy (the pool is the caller's)."""
        for tab in self.tabs:
            tab.stop()
        for user in self.users:
            user.proxy.shutdown()
