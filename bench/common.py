"""What every benchmark shares: processes on loopback, fresh databases, statistics, rows.

Nothing here imports from ``tests/``; the process and database helpers follow the same
ideas as ``tests/fixtures`` (real processes on free loopback ports, stopped by process
ID; a new PostgreSQL database per run, dropped afterwards).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from threadpact.children import free_port, stop_group

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
BIN = Path(PYTHON).parent
LOOPBACK = "127.0.0.1"
DEFAULT_ADMIN_URL = "postgresql://postgres:threadpact@127.0.0.1:5432/postgres"
START_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0


class BenchError(Exception):
    """A benchmark could not run (missing tool, unreachable database, crashed process)."""


# --------------------------------------------------------------------------- processes


def stop_process(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT) -> None:
    """Stop a process we started (with ``start_new_session=True``) and its children."""
    stop_group(process, timeout)


@dataclass
class Completed:
    """What a bounded command did."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False


def run_bounded(
    command: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
) -> Completed:
    """Run a command in its own process group; kill the group if it overruns ``timeout``."""
    started = time.monotonic()
    process = subprocess.Popen(
        list(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        start_new_session=True,
        text=True,
        errors="replace",
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
        timed_out = False
    except subprocess.TimeoutExpired:
        stop_process(process, timeout=2)
        stdout, stderr = process.communicate()
        timed_out = True
    finally:
        stop_process(process, timeout=2)
    return Completed(
        process.returncode, stdout, stderr, time.monotonic() - started, timed_out=timed_out
    )


@dataclass
class Provider:
    """A ``threadpact serve`` process on a loopback port."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def output(self) -> str:
        """What the process printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def stop(self) -> None:
        """Stop it (by process ID)."""
        stop_process(self.process)


def tokens_env(tokens: Mapping[str, str]) -> str:
    """THREADPACT_TOKENS for ``{token: principal}``."""
    return ",".join(f"{token}={name}" for token, name in tokens.items())


def launch_provider(
    database_url: str,
    log: Path,
    tokens: Mapping[str, str],
    *extra: str,
    env: Mapping[str, str] | None = None,
) -> Provider:
    """Start ``threadpact serve`` on a free port, without waiting for it.

    ``env`` adds to the environment (``PYTHONPATH``, say, to serve another checkout).
    """
    port = free_port()
    command = [
        PYTHON, "-m", "threadpact", "serve",
        "--host", LOOPBACK, "--port", str(port),
        "--database-url", database_url,
        *extra,
    ]  # fmt: skip
    env = {
        **os.environ,
        "THREADPACT_TOKENS": tokens_env(tokens),
        "THREADPACT_TOKENS_FILE": "",
        "THREADPACT_LOG_LEVEL": "warning",
        **(env or {}),
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            command, stdout=sink, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
            start_new_session=True,
        )  # fmt: skip
    return Provider(process, f"http://{LOOPBACK}:{port}", log)


def wait_ready(provider: Provider, timeout: float = START_TIMEOUT) -> None:
    """Wait until the provider answers GET /healthz (or fail with its output)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if provider.process.poll() is not None:
            raise BenchError(
                f"the provider exited {provider.process.returncode}:\n{provider.output()[-2000:]}"
            )
        try:
            if httpx.get(provider.base_url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise BenchError(f"the provider did not answer within {timeout:.0f}s")


@contextlib.contextmanager
def providers(
    database_url: str, folder: Path, tokens: Mapping[str, str], count: int = 1
) -> Iterator[list[Provider]]:
    """``count`` providers on one database, started together, stopped on exit."""
    started: list[Provider] = []
    try:
        for index in range(count):
            started.append(launch_provider(database_url, folder / f"provider-{index}.log", tokens))
        for provider in started:
            wait_ready(provider)
        yield started
    finally:
        for provider in started:
            provider.stop()


# --------------------------------------------------------------------------- databases


def admin_url() -> str:
    """The PostgreSQL admin URL (``make bench`` sets it from scripts/postgres.sh)."""
    return os.environ.get("THREADPACT_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)


async def _admin(statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(admin_url(), timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_postgres_database() -> str:
    """A new, empty PostgreSQL database; returns its URL."""
    name = f"threadpact_bench_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        raise BenchError(
            f"PostgreSQL is not reachable at {admin_url()} ({exc}); "
            "run `make bench` or set THREADPACT_TEST_POSTGRES_URL"
        ) from exc
    return admin_url().rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str) -> None:
    """Drop a database made by :func:`create_postgres_database`."""
    name = url.rsplit("/", 1)[1]
    asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for the block, dropped afterwards."""
    url = create_postgres_database()
    try:
        yield url
    finally:
        with contextlib.suppress(Exception):
            drop_postgres_database(url)


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file (the provider turns on WAL)."""
    return f"sqlite:///{path}"


# --------------------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return float(statistics.median(values)) if values else float("nan")


class CpuMeter:
    """How busy the whole machine was between two readings of /proc/stat."""

    def __init__(self) -> None:
        self.start = self._read()

    @staticmethod
    def _read() -> tuple[int, int]:
        try:
            fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        except OSError:
            return (0, 0)
        numbers = [int(value) for value in fields]
        idle = numbers[3] + (numbers[4] if len(numbers) > 4 else 0)
        return (sum(numbers) - idle, sum(numbers))

    def busy_percent(self) -> float:
        """Percent of all cores busy since the meter started."""
        busy, total = self._read()
        spent = total - self.start[1]
        return round(100.0 * (busy - self.start[0]) / spent, 1) if spent > 0 else float("nan")


def machine() -> dict[str, Any]:
    """A snapshot of the machine: cores and load, to judge how noisy a run was."""
    return {
        "cpus": os.cpu_count(),
        "loadavg": [round(value, 2) for value in os.getloadavg()],
    }


# --------------------------------------------------------------------------- results


@dataclass
class Row:
    """One line of the results table."""

    benchmark: str
    case: str
    result: str
    ratio: str = ""
    target: str = ""
    met: str = ""


@dataclass
class Outcome:
    """What one benchmark reports: table rows, raw data, and whether it ran cleanly."""

    name: str
    rows: list[Row] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The outcome as plain JSON data."""
        return {
            "rows": [asdict(row) for row in self.rows],
            "data": self.data,
            "errors": self.errors,
            "notes": self.notes,
        }


def verdict(ok: bool | None) -> str:
    """The ``met`` column."""
    if ok is None:
        return ""
    return "yes" if ok else "**NO**"


def fmt_ratio(value: float) -> str:
    """A ratio like ``0.31x``."""
    return "n/a" if math.isnan(value) else f"{value:.2f}x"


def progress(message: str) -> None:
    """A progress line on stderr (the table goes to stdout)."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)
