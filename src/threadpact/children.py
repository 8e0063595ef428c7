"""Child processes threadpact starts: a free loopback port for them, and how they stop."""

import contextlib
import os
import signal
import socket
import subprocess
from typing import Any

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
