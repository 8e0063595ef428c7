"""Child processes threadpact starts: a free loopback port for them, when they are ready,
and how they stop."""

import contextlib
import os
import signal
import socket
import subprocess
import time
from typing import Any

import httpx

STOP_GRACE_SECONDS = 10.0


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def stop_group(process: subprocess.Popen[Any], grace: float = STOP_GRACE_SECONDS) -> None:
    """End a child started with ``start_new_session=True`` and everything it started.

    SIGTERM to its process group (whose ID is the child's PID), SIGKILL after
    ``grace`` seconds; always reaped. The group is only signalled while its leader is
    unreaped, so the ID cannot have been reused.
    """
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wait_until_answering(
    process: subprocess.Popen[Any], url: str, deadline: float, *, poll: float = 0.05
) -> int | None:
    """Wait until GET ``url`` answers below 500 (None), or the process exits (its exit
    code), or ``time.monotonic()`` passes ``deadline`` (-1: the caller says why)."""
    while time.monotonic() < deadline:
        code = process.poll()
        if code is not None:
            return code
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return None
        except httpx.TransportError:
            pass
        time.sleep(poll)
    return -1
