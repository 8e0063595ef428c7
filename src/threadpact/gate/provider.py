"""Start the reference provider for the gate: a real process, a fresh SQLite file."""

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from threadpact.errors import UsageError
from threadpact.names import HEALTH_PATH

START_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class RunningProvider:
    """Where a started provider listens and the tokens of its two principals."""

    base_url: str
    tokens: tuple[str, str]
    log: Path
    process: subprocess.Popen[bytes]


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace").strip().splitlines()[-1:] if log.exists() else []
            raise UsageError(f"the reference provider exited on start: {' '.join(tail)}")
        try:
            if httpx.get(base_url + HEALTH_PATH, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise UsageError(f"the reference provider did not answer within {START_TIMEOUT_SECONDS:.0f}s")


@contextlib.contextmanager
def reference_provider() -> Iterator[RunningProvider]:
    """A reference provider with test states on, stopped (by process ID) on exit."""
    alice, bob = (f"gate-{secrets.token_urlsafe(16)}" for _ in range(2))
    with tempfile.TemporaryDirectory(prefix="threadpact-gate-") as scratch:
        folder = Path(scratch)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        log = folder / "provider.log"
        env = {
            **os.environ,
            "THREADPACT_TOKENS": f"{alice}=alice,{bob}=bob",
            "THREADPACT_TOKENS_FILE": "",
        }
        command = [
            sys.executable, "-m", "threadpact", "serve",
            "--port", str(port),
            "--database-url", f"sqlite:///{folder / 'gate.db'}",
            "--test-states", "--test-principal", "alice",
        ]  # fmt: skip
        with log.open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
        try:
            _wait_ready(process, base_url, log)
            yield RunningProvider(base_url, (alice, bob), log, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
