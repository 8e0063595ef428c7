"""A client in another process, driven over the JSON-lines driver protocol.

docs/driver-protocol.md specifies the protocol. :class:`DriverProcess` starts the
driver (a shell command), writes requests to its stdin and matches the answers on
its stdout to the requests by ``id``, from a reader thread, so that two requests
can be outstanding at once (the suite acts while a request is in flight).
:class:`DriverClient` is the :class:`~threadpact.client.adapter.ClientUnderTest`
the scenarios use.

A driver that exits, writes a line that is not a protocol answer, or does not
answer within the timeout raises :class:`DriverBroken` (and every later request
fails at once): never a hang. An ``error`` answer raises :class:`DriverError`.
Both carry the tail of the driver's stderr.
"""

import contextlib
import json
import os
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from threadpact.models import LocalThread
from threadpact.names import Role

DEFAULT_TIMEOUT = 30.0
"""Seconds a request may take before the driver counts as hung."""
TAIL_LINES = 30


class DriverError(Exception):
    """The driver answered a request with an ``error``."""


class DriverBroken(Exception):
    """The driver crashed, hung, or broke the protocol."""


@dataclass
class _Pending:
    op: str
    done: threading.Event = field(default_factory=threading.Event)
    answer: dict[str, Any] | None = None


class DriverProcess:
    """One running driver and the requests outstanding on it."""

    def __init__(
        self, command: str, *, cwd: Path, log: Path, timeout: float = DEFAULT_TIMEOUT
    ) -> None:
        self.command = command
        self.log = log
        self.timeout = timeout
        self._stderr = log.open("wb")
        self.process = subprocess.Popen(
            command,
            shell=True,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            start_new_session=True,  # its own process group: stopped with everything it started
        )
        self._ids = 0
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.RLock()
        self._broken: str | None = None
        self._reader = threading.Thread(target=self._read, name="driver-reader", daemon=True)
        self._reader.start()

    # -- talking ----------------------------------------------------------------------

    def call(self, op: str, **arguments: Any) -> Any:
        """Send one request and wait for its answer; the ``result``."""
        with self._lock:
            self._fail_if_broken(op)
            self._ids += 1
            number = self._ids
            pending = self._pending[number] = _Pending(op)
            line = json.dumps({"id": number, "op": op, **arguments}) + "\n"
            try:
                assert self.process.stdin is not None
                self.process.stdin.write(line.encode())
                self.process.stdin.flush()
            except OSError as exc:
                self._pending.pop(number, None)
                code = self.process.poll()
                state = "it is still running" if code is None else f"it exited with code {code}"
                self._break(f"could not write request {op!r} to its stdin ({exc}; {state})")
                self._fail_if_broken(op)
        if not pending.done.wait(self.timeout):
            self._break(self._timed_out(op, number))
        with self._lock:
            self._pending.pop(number, None)
            if pending.answer is None:
                self._fail_if_broken(op)
                raise DriverBroken(self.describe(f"op {op!r} got no answer"))
        answer = pending.answer
        if "error" in answer:
            raise DriverError(self.describe(f"op {op!r} answered an error: {answer['error']}"))
        return answer["result"]

    def _timed_out(self, op: str, number: int) -> str:
        with self._lock:
            others = [p.op for n, p in self._pending.items() if n != number and not p.done.is_set()]
        message = f"op {op!r} (id {number}) got no answer within {self.timeout:g}s"
        if others:
            message += (
                f" while {', '.join(repr(o) for o in others)} was still running (a driver must "
                "keep reading stdin while its client awaits HTTP)"
            )
        return message

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            text = raw.decode("utf-8", errors="replace").strip()
            if not text:
                continue
            problem = self._deliver(text)
            if problem:
                self._break(problem)
                return
        code = self.process.wait()
        self._break(f"exited with code {code}")

    def _deliver(self, text: str) -> str | None:
        """Hand an answer to its request; a description of the problem if it is not one."""
        try:
            answer = json.loads(text)
        except ValueError:
            return f"wrote a line to stdout that is not JSON: {text[:200]!r}"
        if not isinstance(answer, dict) or not isinstance(answer.get("id"), int):
            return f"wrote a line that is not an answer (no integer id): {text[:200]!r}"
        if ("result" in answer) == ("error" in answer):
            return f"wrote an answer with neither or both of result and error: {text[:200]!r}"
        with self._lock:
            pending = self._pending.get(answer["id"])
            if pending is None:
                return (
                    f"answered id {answer['id']}, which no request is waiting for: {text[:200]!r}"
                )
            pending.answer = answer
            pending.done.set()
        return None

    # -- failing clearly ----------------------------------------------------------------

    def _break(self, reason: str) -> None:
        with self._lock:
            if self._broken is None:
                self._broken = reason
            for pending in self._pending.values():
                pending.done.set()

    @property
    def broken(self) -> str | None:
        """Why the driver can no longer be used (None while it can)."""
        return self._broken

    def _fail_if_broken(self, op: str) -> None:
        if self._broken is not None:
            raise DriverBroken(self.describe(f"op {op!r}: the driver {self._broken}"))

    def stderr_tail(self, lines: int = TAIL_LINES) -> str:
        """The last lines the driver wrote to stderr."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def describe(self, message: str) -> str:
        """``message`` about this driver, with the tail of its stderr."""
        tail = self.stderr_tail()
        shown = f"\n--- driver stderr (last lines) ---\n{tail}" if tail else " (no stderr)"
        return f"driver `{self.command}`: {message}{shown}"

    # -- stopping -------------------------------------------------------------------------

    def stop(self, grace: float = 5.0) -> None:
        """Close stdin (the driver should exit), then end its process group if it does not."""
        if self.process.stdin is not None:
            with contextlib.suppress(OSError):
                self.process.stdin.close()
        if self._broken is not None and self.process.poll() is None:
            grace = min(grace, 0.5)  # it hung or broke the protocol: no patience left
        try:
            self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.process.wait()
        self._signal(signal.SIGKILL)  # anything the shell left behind in its group
        self._reader.join(timeout=grace)
        self._stderr.close()

    def _signal(self, number: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, number)


class DriverClient:
    """A :class:`~threadpact.client.adapter.ClientUnderTest` over a driver process.

    ``after_call`` runs after every answer (the lab re-raises there what failed in
    the proxy's thread). A client replaced by a reload or a new ``open`` refuses
    further use.
    """

    def __init__(self, driver: DriverProcess, after_call: Callable[[], None] = lambda: None):
        self.driver = driver
        self.after_call = after_call
        self.stale = False

    def _call(self, op: str, **arguments: Any) -> Any:
        if self.stale:
            raise RuntimeError(f"op {op!r} on a client that was closed or reloaded")
        result = self.driver.call(op, **arguments)
        self.after_call()
        return result

    def _string(self, op: str, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise DriverBroken(self.driver.describe(f"op {op!r} answered {value!r}, not an ID"))
        return value

    def create_thread(self, *, title: str, agent_id: str, model: str, provider: str) -> str:
        """``create_thread``: the thread's local (temporary) ID."""
        value = self._call(
            "create_thread", title=title, agent_id=agent_id, model=model, provider=provider
        )
        return self._string("create_thread", value)

    def send_message(self, thread_id: str, *, role: Role, content: str) -> str:
        """``send_message``: the message's local ID."""
        value = self._call("send_message", thread_id=thread_id, role=role, content=content)
        return self._string("send_message", value)

    def rename_thread(self, thread_id: str, title: str) -> None:
        """``rename_thread``."""
        self._call("rename_thread", thread_id=thread_id, title=title)

    def delete_thread(self, thread_id: str) -> None:
        """``delete_thread``."""
        self._call("delete_thread", thread_id=thread_id)

    def select_thread(self, thread_id: str) -> None:
        """``select_thread``."""
        self._call("select_thread", thread_id=thread_id)

    def current_thread_id(self) -> str | None:
        """``current_thread_id``: a string or None."""
        value = self._call("current_thread_id")
        return None if value is None else self._string("current_thread_id", value)

    def threads(self) -> list[LocalThread]:
        """``threads``: validated against the spec's LocalThread."""
        value = self._call("threads")
        if not isinstance(value, list):
            raise DriverBroken(self.driver.describe(f"op 'threads' answered {value!r}, not a list"))
        try:
            return [LocalThread.model_validate(item) for item in value]
        except ValidationError as exc:
            first = exc.errors()[0]
            where = "/".join(str(part) for part in first["loc"])
            raise DriverBroken(
                self.driver.describe(
                    f"op 'threads' answered a thread that is not a LocalThread: {where}: "
                    f"{first['msg']}"
                )
            ) from None

    def sync_once(self) -> None:
        """``sync_once``."""
        self._call("sync_once")

    def sync(self) -> None:
        """``sync``."""
        self._call("sync")

    def skip_backoff(self) -> None:
        """``skip_backoff``: every retry waiting on a backoff timer is due now."""
        self._call("skip_backoff")

    def online(self) -> None:
        """``online``: the network is back."""
        self._call("online")

    def advance(self, seconds: float) -> None:
        """``advance``: time passes on the client's clock."""
        self._call("advance", seconds=seconds)

    def pull(self) -> None:
        """``pull``."""
        self._call("pull")

    def import_legacy(self, dump: dict[str, Any]) -> None:
        """``import_legacy``: the old client's localStorage dump."""
        self._call("import_legacy", dump=dump)

    def retry(self, thread_id: str) -> None:
        """``retry``."""
        self._call("retry", thread_id=thread_id)

    def close(self) -> None:
        """``close``."""
        if not self.stale:
            self._call("close")
            self.stale = True
