"""The database engine: SQLite (WAL) by default, PostgreSQL through a URL; migrations on start."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from threadpact.errors import UsageError

MIGRATIONS = Path(__file__).with_name("migrations")
# Any constant will do: it only has to be the same in every process.
MIGRATION_LOCK_ID = 0x7468_7264


def normalise_url(url: str) -> str:
    """Accept plain ``sqlite:``/``postgresql:`` URLs and pick the async driver."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"bad database URL {url!r}: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return str(parsed.set(drivername="sqlite+aiosqlite"))
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise UsageError(f"unsupported database {backend!r}: use sqlite:///FILE or postgresql://...")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine for ``url`` with the settings each backend needs."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        # One connection: SQLite has one writer anyway, and queueing in the pool is far
        # cheaper than writers retrying on SQLite's lock (p99 of creates 0.8 s -> 0.12 s).
        engine = create_async_engine(url, pool_size=1, max_overflow=0, pool_timeout=60)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_timeout=60)


def _upgrade(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Several processes may start at once; only one migrates at a time.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest Alembic revision."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade)
