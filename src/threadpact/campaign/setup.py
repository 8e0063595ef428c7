"""What a campaign runs against, from the command line and the configuration.

The provider: the configured one (a ``command`` the campaign starts, and can kill
and restart; or a ``base-url``, which it cannot kill), else the reference provider,
on SQLite (one process) or, given a PostgreSQL server, on a fresh database there
shared by two processes. The client: a factory or a driver command, from the flags,
else the configuration, else the reference client; every client runs as a driver
process, so the campaign can kill it.
"""

import os
import shlex
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from threadpact.campaign.providers import ProviderPool
from threadpact.campaign.runner import REFERENCE_DRIVER, TABS
from threadpact.config.schema import Provider
from threadpact.conformance.databases import (
    create_postgres_database,
    drop_postgres_database,
    sqlite_url,
)

USERS = list(TABS)
"""The campaign's principals, in the order of the configured token variables."""


class SetupError(Exception):
    """The campaign cannot start: the message says why, in one line."""


@dataclass(frozen=True)
class Target:
    """A running provider pool, the users' tokens, and words for the report."""

    pool: ProviderPool
    tokens: dict[str, str]
    provider: str
    database: str


def client_command(factory: str | None, driver: str | None) -> tuple[str, str]:
    """The driver command for the client, and how the report names it."""
    if driver:
        return driver, f"driver `{driver}`"
    if factory:
        return f"{REFERENCE_DRIVER} --factory {shlex.quote(factory)}", f"factory {factory}"
    return REFERENCE_DRIVER, "the reference client"


@contextmanager
def reference_target(folder: Path, postgres_url: str | None) -> Iterator[Target]:
    """The reference provider: SQLite, or two processes on a fresh PostgreSQL database."""
    tokens = {user: f"campaign-{user}-{os.urandom(6).hex()}" for user in USERS}
    if postgres_url is None:
        pool = ProviderPool.reference(sqlite_url(folder / "threads.db"), 1, folder, tokens)
        with pool:
            yield Target(pool, tokens, "the reference provider", "SQLite, 1 process")
        return
    url = create_postgres_database(postgres_url, hint="; check --postgres-url")
    try:
        pool = ProviderPool.reference(url, 2, folder, tokens)
        with pool:
            yield Target(pool, tokens, "the reference provider", "PostgreSQL, 2 processes")
    finally:
        drop_postgres_database(url, postgres_url)


@contextmanager
def configured_target(
    provider: Provider, folder: Path, cwd: Path, processes: int
) -> Iterator[Target]:
    """The configured provider: started by its command (killable), or already running."""
    if provider.command is not None:
        pool = ProviderPool.command(
            provider.command,
            processes,
            folder,
            tokens_env=provider.tokens,
            ready_path=provider.ready_path,
            ready_timeout=provider.ready_timeout,
            env=provider.env,
            cwd=cwd,
        )
        tokens = {
            user: pool.tokens[name] for user, name in zip(USERS, provider.tokens, strict=False)
        }
        with pool:
            yield Target(pool, tokens, f"`{provider.command}`", f"{processes} process(es)")
        return
    assert provider.base_url is not None
    missing = [name for name in provider.tokens if not os.environ.get(name)]
    if missing:
        raise SetupError(
            f"provider.base-url: set {', '.join(missing)} to the bearer tokens of two users"
        )
    tokens = {user: os.environ[name] for user, name in zip(USERS, provider.tokens, strict=False)}
    pool = ProviderPool.running([provider.base_url], tokens)
    yield Target(pool, tokens, provider.base_url, "already running: no provider kills")
