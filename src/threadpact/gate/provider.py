"""The provider under test: one already running, or one the gate starts from its command.

A started provider gets a free loopback port (``{port}``), a fresh scratch folder
(``{workdir}``), the configured environment, and a random bearer token for every
token variable the environment does not set. The gate waits until GET on its
ready path answers below 500, and stops the command's whole process group when done.
"""

import contextlib
import os
import re
import secrets
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from threadpact.children import free_port, stop_group, wait_until_answering
from threadpact.config import Provider
from threadpact.errors import UsageError

LOG_TAIL_LINES = 30
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class LiveProvider:
    """The provider verify and fuzz talk to; process and log only if the gate started it."""

    base_url: str
    tokens: tuple[str, ...]
    states_url: str | None = None
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None


def log_tail(log: Path, lines: int = LOG_TAIL_LINES) -> str:
    """The last lines a started provider wrote."""
    if not log.is_file():
        return ""
    return "\n".join(log.read_text(errors="replace").rstrip().splitlines()[-lines:])


def states_url(provider: Provider, base_url: str) -> str | None:
    """Where verification sets provider states: the configured URL, or path on the provider."""
    if provider.states is None or provider.states.startswith(("http://", "https://")):
        return provider.states
    return base_url + provider.states


def interpolate(text: str, values: Mapping[str, str], key: str) -> str:
    """``text`` with every ``${NAME}`` replaced; a usage error naming ``key`` if one is unset."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise UsageError(f"provider.{key}: ${{{name}}} is not set in the environment")
        return values[name]

    return VARIABLE.sub(value, text)


def given_tokens(provider: Provider) -> tuple[str, ...]:
    """The tokens of an already running provider: the first variable must be set."""
    first, *rest = provider.tokens
    if not os.environ.get(first):
        raise UsageError(
            f"provider.tokens: {first} is not set; it must hold a bearer token for the "
            "provider at base-url (or pass --token)"
        )
    return (os.environ[first], *(os.environ[name] for name in rest if os.environ.get(name)))


def fill(text: str, port: int, workdir: Path, quote: bool) -> str:
    """``text`` with ``{port}``, ``{workdir}`` and ``{python}`` filled in (shell-quoted if
    ``quote``)."""
    shell = shlex.quote if quote else str
    return (
        text.replace("{port}", str(port))
        .replace("{workdir}", shell(str(workdir)))
        .replace("{python}", shell(sys.executable))
    )


def environment(
    provider: Provider, port: int, workdir: Path
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The started provider's environment, and the tokens of its principals."""
    env = dict(os.environ)
    for name in provider.tokens:
        if not env.get(name):
            env[name] = f"gate-{secrets.token_urlsafe(16)}"
    for name, text in provider.env.items():
        env[name] = interpolate(fill(text, port, workdir, quote=False), env, f"env.{name}")
    return env, tuple(env[name] for name in provider.tokens)


def wait_ready(
    process: subprocess.Popen[bytes], base_url: str, provider: Provider, log: Path
) -> None:
    """Return once the provider answers its ready path below 500; else a usage error."""
    url = base_url + provider.ready_path
    code = wait_until_answering(process, url, time.monotonic() + provider.ready_timeout, poll=0.1)
    if code is None:
        return
    if code != -1:
        raise UsageError(
            f"the provider command exited with code {code} before it was ready; "
            f"its last lines:\n{log_tail(log)}"
        )
    raise UsageError(
        f"the provider was not ready within {provider.ready_timeout:g}s "
        f"(GET {url} never answered below 500; provider.ready-path and provider.ready-timeout "
        f"set this); its last lines:\n{log_tail(log)}"
    )


@contextlib.contextmanager
def started_provider(provider: Provider, cwd: Path) -> Iterator[LiveProvider]:
    """Run ``provider.command`` in ``cwd`` on a free port until the block ends."""
    assert provider.command is not None
    with tempfile.TemporaryDirectory(prefix="threadpact-provider-") as scratch:
        workdir = Path(scratch)
        port = free_port()
        env, tokens = environment(provider, port, workdir)
        base_url = f"http://127.0.0.1:{port}"
        log = workdir / "provider.log"
        shell = fill(provider.command, port, workdir, quote=True)
        with log.open("wb") as sink:
            process = subprocess.Popen(
                ["/bin/sh", "-c", shell],
                cwd=cwd,
                stdout=sink,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                start_new_session=True,
            )
        try:
            wait_ready(process, base_url, provider, log)
            yield LiveProvider(base_url, tokens, states_url(provider, base_url), process, log)
        finally:
            stop_group(process)


@contextlib.contextmanager
def live_provider(
    provider: Provider, cwd: Path, tokens: Sequence[str] = ()
) -> Iterator[LiveProvider]:
    """The configured provider: the one at ``base-url``, or a fresh one from ``command``.

    ``tokens``, when given (``--token``), replace the ones the token variables hold.
    """
    if provider.base_url is not None:
        base = provider.base_url.rstrip("/")
        chosen = tuple(tokens) or given_tokens(provider)
        yield LiveProvider(base, chosen, states_url(provider, base))
        return
    with started_provider(provider, cwd) as live:
        yield replace(live, tokens=tuple(tokens)) if tokens else live
