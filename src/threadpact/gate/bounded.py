"""Run one gate step in a child process, with a deadline, while watching the provider.

Native code (pact's verifier) and libraries that wait on the network cannot be
interrupted from inside the process, so each step runs in a child process of its
own process group. The parent waits for its result, and ends the whole group
when the deadline expires or the watched provider breaks. Either way the step
ends as ``error``, with what it was doing at the time and the provider's log.

A step is named ``"module:function"`` and imported in the child, so the parent never
imports the heavy step modules itself.
"""

import contextlib
import importlib
import multiprocessing
import os
import signal
import time
import traceback
from collections.abc import Iterator
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any, Protocol

from threadpact.errors import ThreadpactError
from threadpact.gate import activity
from threadpact.gate.report import Finding, StepResult

PRELOAD = (
    "threadpact.gate.fuzz",
    "threadpact.gate.verify",
    "threadpact.gate.lint",
    "threadpact.gate.crosscheck",
    "threadpact.gate.pactdrift",
    "threadpact.codegen",
)
"""Imported once by the fork server, so each step's process starts without importing them."""
POLL_SECONDS = 0.2
GRACE_SECONDS = 2.0


class Watch(Protocol):
    """Something that can tell that the provider broke, and show its log."""

    def trouble(self) -> str | None:
        """What is wrong with the provider, or ``None`` while it looks healthy."""

    def log_tail(self) -> str:
        """The provider's last log lines, or a note that there is no log."""


def _child(connection: Connection, target: str, kwargs: dict[str, Any]) -> None:
    """The child's side: its own process group, activity down the pipe, then the result."""
    os.setpgrp()
    activity.report_to(lambda text: connection.send(("activity", text)))
    try:
        module, _, function = target.partition(":")
        result = getattr(importlib.import_module(module), function)(**kwargs)
    except ThreadpactError as exc:
        connection.send(("usage", str(exc)))
    except BaseException:
        connection.send(("crash", traceback.format_exc()))
    else:
        connection.send(("result", result))
    finally:
        activity.report_to(None)
        connection.close()


def _end(process: BaseProcess) -> None:
    """End the child and everything it started (its process group)."""
    if process.pid is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.join(GRACE_SECONDS)


def ended(name: str, rule: str, message: str, seconds: float, watch: Watch | None) -> StepResult:
    """An ``error`` result for a step that was stopped, with the provider's log as evidence."""
    details = f"provider log (last lines):\n{watch.log_tail()}" if watch is not None else ""
    finding = Finding(rule=rule, message=message, details=details)
    return StepResult(name, "error", seconds, message, [finding])


@contextlib.contextmanager
def _started(target: str, kwargs: dict[str, Any]) -> Iterator[tuple[BaseProcess, Connection]]:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(PRELOAD))
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(sender, target, kwargs), daemon=True)
    process.start()
    sender.close()
    try:
        yield process, receiver
    finally:
        _end(process)
        receiver.close()


def run_in_child(
    name: str,
    target: str,
    kwargs: dict[str, Any],
    *,
    deadline: float,
    watch: Watch | None = None,
    option: str = "--timeout",
) -> StepResult:
    """``target(**kwargs)`` in a child process; its result, or an ``error`` at the deadline.

    ``target`` is ``"module:function"``, a function that returns a StepResult; ``kwargs``
    must be picklable.
    ``option`` is how the user changes the deadline, quoted in the message.
    """
    started = time.monotonic()
    doing = "starting"
    with _started(target, kwargs) as (process, receiver):
        while True:
            seconds = time.monotonic() - started
            trouble = watch.trouble() if watch is not None else None
            if trouble is not None:
                message = f"the provider {trouble}; {name} was {doing}"
                return ended(name, "provider.broken", message, seconds, watch)
            if seconds > deadline:
                message = (
                    f"{name} did not finish within its {deadline:g} s deadline "
                    f"(change it with {option}); it was {doing}"
                )
                return ended(name, "gate.deadline", message, seconds, watch)
            if not receiver.poll(POLL_SECONDS):
                continue
            try:
                kind, value = receiver.recv()
            except EOFError:
                process.join(GRACE_SECONDS)
                message = f"{name} stopped without a result (exit code {process.exitcode})"
                return ended(name, "gate.crash", message, seconds, None)
            if kind == "activity":
                doing = str(value)
            elif kind == "result":
                result: StepResult = value
                return result
            elif kind == "usage":
                return StepResult(name, "error", seconds, str(value))
            else:
                finding = Finding("gate.crash", f"{name} crashed", details=str(value))
                return StepResult(name, "error", seconds, finding.message, [finding])
