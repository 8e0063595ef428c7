"""Provider processes on loopback ports, started and stopped by process ID."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from threadpact.children import free_port, wait_until_answering

TOKENS_VARIABLE = "THREADPACT_TOKENS"
"""The provider setting that lists the bearer tokens it accepts."""


def tokens_setting(tokens: Mapping[str, str]) -> str:
    """``token=principal,...``: how a provider is told which bearer tokens it accepts."""
    return ",".join(f"{token}={principal}" for principal, token in tokens.items())


@dataclass
class Server:
    """A server process on a loopback port."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path
    tokens: Mapping[str, str] = field(default_factory=dict)
    """Principal name to the bearer token the server accepts for it."""

    def client(self, principal: str | None, **kwargs: object) -> httpx.Client:
        """An httpx client for the server, authenticated as ``principal`` (None: anonymous)."""
        headers = {"Authorization": f"Bearer {self.tokens[principal]}"} if principal else {}
        return httpx.Client(base_url=self.base_url, headers=headers, timeout=30, **kwargs)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def output(self) -> str:
        """What the process printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def start_process(
    command: Sequence[str],
    port: int,
    log: Path,
    env: Mapping[str, str] | None = None,
    *,
    tokens: Mapping[str, str] | None = None,
    ready_path: str = "/healthz",
    timeout: float = 60,
    cwd: Path | None = None,
) -> Server:
    """Start ``command`` (which must listen on ``port``) and wait until it answers.

    ``tokens`` (principal to bearer token) become the process's token setting;
    ``env`` is applied last and may override it.
    """
    accepted = dict(tokens or {})
    setting = {TOKENS_VARIABLE: tokens_setting(accepted)} if tokens is not None else {}
    environment = {**os.environ, **setting, **(env or {})}
    handle = log.open("wb")
    process = subprocess.Popen(
        list(command), stdout=handle, stderr=subprocess.STDOUT, env=environment, cwd=cwd
    )
    handle.close()
    server = Server(process, f"http://127.0.0.1:{port}", log, accepted)
    code = wait_until_answering(process, server.base_url + ready_path, time.monotonic() + timeout)
    if code is None:
        return server
    if code != -1:
        raise RuntimeError(f"{command} exited {code}:\n{server.output()}")
    server.stop()
    raise RuntimeError(f"{command} did not answer within {timeout}s:\n{server.output()}")


def serve_command(port: int, database_url: str, extra: Sequence[str] = ()) -> list[str]:
    """The command line of the reference provider (``threadpact serve``) on ``port``."""
    return [
        sys.executable,
        "-m",
        "threadpact",
        "serve",
        "--port",
        str(port),
        "--database-url",
        database_url,
        *extra,
    ]


def start_provider(
    database_url: str,
    log: Path,
    *extra: str,
    env: Mapping[str, str] | None = None,
    tokens: Mapping[str, str] | None = None,
    port: int | None = None,
    cwd: Path | None = None,
) -> Server:
    """Start the reference provider (``threadpact serve``) on a free port."""
    port = port or free_port()
    return start_process(
        serve_command(port, database_url, extra), port, log, env, tokens=tokens, cwd=cwd
    )
