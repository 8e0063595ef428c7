"""The providers a campaign runs against: N processes of one command, one database.

Each process listens on a loopback port of its own that it keeps for the whole
campaign: a process killed with SIGKILL (a crash, no grace) is started again on the
same port, so the clients' proxies find it where it was. The ports are picked below
the kernel's ephemeral range when possible, so that no outgoing connection takes one
while its process is down. Every process runs in a process group of its own (a
shell command's children die with it), and writes to ``provider-<i>.log`` in the
pool's folder, appended across restarts.

:meth:`ProviderPool.reference` runs ``threadpact serve`` (the reference provider;
several processes may share a PostgreSQL database: its keys are enforced by the
database), :meth:`ProviderPool.command` any provider a shell command starts on
``{port}``, as the gate's ``provider.command`` does, and :meth:`ProviderPool.running`
stands for providers already running elsewhere (nothing to kill or restart).
"""

import contextlib
import os
import random
import re
import secrets
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from threadpact.children import STOP_GRACE_SECONDS, free_port, stop_group, wait_until_answering
from threadpact.conformance.processes import TOKENS_VARIABLE, serve_command, tokens_setting

LOG_TAIL_LINES = 30
START_ATTEMPTS = 3
"""How often a restart tries again when the process exits before it is ready (e.g.
its port still held by the process that was killed)."""
PORT_FLOOR = 20000
DEFAULT_TOKEN_VARIABLES = ("THREADPACT_TOKEN_A", "THREADPACT_TOKEN_B")
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

Launch = Callable[[int], tuple[list[str], dict[str, str]]]
"""The command line and environment of the process that listens on a port."""


class ProviderStartError(RuntimeError):
    """A provider process exited, or did not get ready, when started."""


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines a provider process wrote."""
    if not log.is_file():
        return ""
    return "\n".join(log.read_text(errors="replace").rstrip().splitlines()[-lines:])


def bindable(port: int) -> bool:
    """Whether a server setting SO_REUSEADDR could listen on ``port`` now (nothing
    listens there; connections in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def ephemeral_floor() -> int:
    """The lowest port the kernel hands out for outgoing connections (Linux; else 0)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        return int(text.split()[0])
    return 0


def pool_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports free now, below the ephemeral range if it
    leaves room (there no outgoing connection takes one while its process is down)."""
    floor = ephemeral_floor()
    chosen: list[int] = []
    if floor - PORT_FLOOR >= 1000:
        candidates = random.sample(range(PORT_FLOOR, floor), k=min(200, floor - PORT_FLOOR))
        chosen = [port for port in candidates if bindable(port)][:count]
    while len(chosen) < count:
        port = free_port()
        if port not in chosen:
            chosen.append(port)
    return chosen


def fill(text: str, port: int, workdir: Path, *, quote: bool) -> str:
    """``text`` with ``{port}``, ``{workdir}`` and ``{python}`` filled in (shell-quoted if
    ``quote``), as the gate fills its provider command."""
    shell = shlex.quote if quote else str
    return (
        text.replace("{port}", str(port))
        .replace("{workdir}", shell(str(workdir)))
        .replace("{python}", shell(sys.executable))
    )


def interpolate(text: str, values: Mapping[str, str]) -> str:
    """``text`` with every ``${NAME}`` replaced by its value (a KeyError if unset)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"${{{name}}} is not set in the environment")
        return values[name]

    return VARIABLE.sub(value, text)


@dataclass
class _Slot:
    """One process of the pool: its port, its log, its process while it runs."""

    port: int
    log: Path
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0
    lock: threading.RLock = field(default_factory=threading.RLock)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


class ProviderPool:
    """Provider processes of one command on fixed loopback ports, sharing one database.

    The factories start every process and return once all are ready (raising
    :class:`ProviderStartError` with the log's last lines if one is not);
    ``with ProviderPool.reference(...) as pool:`` stops them at the end.
    """

    def __init__(
        self,
        launch: Launch | None,
        count: int,
        folder: Path,
        *,
        tokens: Mapping[str, str],
        ready_path: str = "/healthz",
        ready_timeout: float = 60.0,
        cwd: Path | None = None,
        ports: Sequence[int] | None = None,
        base_urls: Sequence[str] = (),
    ) -> None:
        """Start ``count`` processes (``launch`` gives each one's command line and
        environment from its port) and wait until each answers GET ``ready_path``
        below 500; with ``launch`` None, stand for providers already at ``base_urls``."""
        self.tokens: dict[str, str] = dict(tokens)
        """The bearer tokens the providers accept: principal to token for the reference
        provider, token variable to token for a command."""
        self.folder = folder
        self.ready_path = ready_path
        self.ready_timeout = ready_timeout
        self.cwd = cwd
        self._launch = launch
        self._external = tuple(url.rstrip("/") for url in base_urls)
        if launch is None:
            self._slots: list[_Slot] = []
            return
        if count < 1:
            raise ValueError("a pool needs at least one process")
        folder.mkdir(parents=True, exist_ok=True)
        chosen = list(ports) if ports is not None else pool_ports(count)
        if len(chosen) != count:
            raise ValueError(f"{count} processes need {count} ports, not {len(chosen)}")
        self._slots = [
            _Slot(port, folder / f"provider-{index}.log") for index, port in enumerate(chosen)
        ]
        try:
            # The first alone (it may set up the database), then the others at once.
            self._start(0)
            for index in range(1, count):
                self._spawn(index)
            for index in range(1, count):
                self._wait_ready(index)
        except BaseException:
            self.stop(grace=0)
            raise

    # -- the factories ------------------------------------------------------------------

    @classmethod
    def reference(
        cls,
        database_url: str,
        count: int,
        folder: Path,
        tokens: Mapping[str, str],
        env: Mapping[str, str] | None = None,
        *,
        extra: Sequence[str] = (),
        cwd: Path | None = None,
        ready_timeout: float = 60.0,
    ) -> "ProviderPool":
        """``count`` reference providers (``threadpact serve``) on ``database_url``
        (1 for SQLite; PostgreSQL takes several), accepting ``tokens`` (principal to
        bearer token); ``env`` is applied last, ``extra`` are more ``serve`` arguments
        (e.g. ``--test-states``)."""
        setting = {TOKENS_VARIABLE: tokens_setting(tokens)}

        def launch(port: int) -> tuple[list[str], dict[str, str]]:
            command = serve_command(port, database_url, extra)
            return command, {**os.environ, **setting, **(env or {})}

        return cls(
            launch,
            count,
            folder,
            tokens=tokens,
            ready_path="/healthz",
            ready_timeout=ready_timeout,
            cwd=cwd,
        )

    @classmethod
    def command(
        cls,
        template: str,
        count: int,
        folder: Path,
        *,
        tokens_env: Sequence[str] = DEFAULT_TOKEN_VARIABLES,
        ready_path: str = "/",
        ready_timeout: float = 60.0,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> "ProviderPool":
        """``count`` processes of a shell command that starts a provider on ``{port}``
        (``{workdir}``: the pool's folder, shared by all; ``{python}``: this Python).

        As the gate does: every token variable in ``tokens_env`` the environment does
        not set gets a fresh random token (the same for every process: they share the
        principals); ``env`` values may use ``{port}``, ``{workdir}`` and ``${NAME}``.
        """
        tokens = {
            name: os.environ.get(name) or f"campaign-{secrets.token_urlsafe(16)}"
            for name in tokens_env
        }

        def launch(port: int) -> tuple[list[str], dict[str, str]]:
            environment = {**os.environ, **tokens}
            for name, text in (env or {}).items():
                environment[name] = interpolate(fill(text, port, folder, quote=False), environment)
            shell = fill(template, port, folder, quote=True)
            return ["/bin/sh", "-c", shell], environment

        return cls(
            launch,
            count,
            folder,
            tokens=tokens,
            ready_path=ready_path,
            ready_timeout=ready_timeout,
            cwd=cwd,
        )

    @classmethod
    def running(cls, base_urls: Sequence[str], tokens: Mapping[str, str]) -> "ProviderPool":
        """Providers already running at ``base_urls``: nothing to start, kill or stop."""
        if not base_urls:
            raise ValueError("give at least one base URL")
        return cls(None, len(base_urls), Path(), tokens=tokens, base_urls=base_urls)

    # -- reading --------------------------------------------------------------------------

    @property
    def killable(self) -> bool:
        """Whether the pool started its processes (and so may kill and restart them)."""
        return self._launch is not None

    @property
    def base_urls(self) -> list[str]:
        """Where each process listens, by index."""
        if self._launch is None:
            return list(self._external)
        return [f"http://127.0.0.1:{slot.port}" for slot in self._slots]

    def __len__(self) -> int:
        return len(self.base_urls)

    def index_of(self, url: str | httpx.URL) -> int:
        """The index of the process a URL (a base URL, or a request's) goes to."""
        parts = urlsplit(str(url))
        for index, base in enumerate(self.base_urls):
            mine = urlsplit(base)
            if (mine.hostname, mine.port) == (parts.hostname, parts.port):
                return index
        raise ValueError(f"{url} is not one of the pool's providers")

    def log(self, index: int) -> Path:
        """The log of process ``index`` (every start of it, appended)."""
        return self._slot(index).log

    def pid(self, index: int) -> int | None:
        """The process ID of process ``index`` while it runs."""
        slot = self._slot(index)
        return slot.process.pid if slot.alive and slot.process is not None else None

    def alive(self, index: int) -> bool:
        """Whether process ``index`` runs (always True for providers running elsewhere)."""
        if self._launch is None:
            return True
        return self._slot(index).alive

    # -- crashes and restarts -------------------------------------------------------------

    def kill(self, index: int) -> None:
        """SIGKILL process ``index`` and its whole process group at once, no grace: a
        crash. Returns once it is reaped; a process already dead is left as is."""
        slot = self._slot(index)
        with slot.lock:
            process = slot.process
            if process is None or process.poll() is not None:
                return
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def restart(self, index: int) -> None:
        """Start process ``index`` again on the same port and wait until it is ready (a
        process still running is killed first: a crash and a start)."""
        slot = self._slot(index)
        with slot.lock:
            self.kill(index)
            deadline = time.monotonic() + self.ready_timeout
            for attempt in range(1, START_ATTEMPTS + 1):
                try:
                    self._start(index, deadline)
                    return
                except ProviderStartError:
                    if attempt == START_ATTEMPTS or time.monotonic() >= deadline:
                        raise
                    time.sleep(0.2 * attempt)

    def restart_dead(self) -> list[int]:
        """Restart every process that is not running; the indexes restarted."""
        if self._launch is None:
            return []
        dead = [index for index, slot in enumerate(self._slots) if not slot.alive]
        for index in dead:
            self.restart(index)
        return dead

    def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop every process gracefully (SIGTERM to its group, SIGKILL after ``grace``)."""
        for slot in self._slots:
            with slot.lock:
                if slot.process is not None:
                    stop_group(slot.process, grace)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- starting -------------------------------------------------------------------------

    def _slot(self, index: int) -> _Slot:
        if self._launch is None:
            raise ValueError("the pool did not start these providers")
        return self._slots[index]

    def _start(self, index: int, deadline: float | None = None) -> None:
        self._spawn(index, deadline)
        self._wait_ready(index, deadline)

    def _spawn(self, index: int, deadline: float | None = None) -> None:
        """Start process ``index`` once its port is free (the killed one may linger)."""
        assert self._launch is not None
        slot = self._slots[index]
        deadline = deadline or time.monotonic() + self.ready_timeout
        while not bindable(slot.port) and time.monotonic() < deadline:
            time.sleep(0.05)
        command, environment = self._launch(slot.port)
        slot.starts += 1
        with slot.log.open("ab") as sink:
            sink.write(f"--- provider {index}, start {slot.starts}, port {slot.port}\n".encode())
            sink.flush()
            slot.process = subprocess.Popen(
                command,
                cwd=self.cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=environment,
                start_new_session=True,
            )

    def _wait_ready(self, index: int, deadline: float | None = None) -> None:
        """Return once process ``index`` answers its ready path below 500."""
        slot = self._slots[index]
        process = slot.process
        assert process is not None
        url = f"http://127.0.0.1:{slot.port}{self.ready_path}"
        deadline = deadline or time.monotonic() + self.ready_timeout
        code = wait_until_answering(process, url, deadline)
        if code is None:
            return
        if code != -1:
            raise ProviderStartError(
                f"provider {index} exited with code {code} before it was ready; "
                f"its last lines ({slot.log}):\n{log_tail(slot.log)}"
            )
        stop_group(process, grace=0)
        raise ProviderStartError(
            f"provider {index} was not ready within {self.ready_timeout:g}s (GET {url} "
            f"never answered below 500); its last lines ({slot.log}):\n{log_tail(slot.log)}"
        )
