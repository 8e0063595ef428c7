"""Alembic migrations, run when the provider starts."""

import sqlite3
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

MIGRATIONS = Path(__file__).parent.parent / "migrations"
# Any constant will do: it only has to be the same in every process.
MIGRATION_LOCK_ID = 0x7468_7264


def upgrade(connection: Connection) -> None:
    """Bring the schema on ``connection`` to the newest revision."""
    if connection.dialect.name == "postgresql":
        # Several processes may start at once; only one migrates at a time.
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


def migrate_sqlite(target: str, *, uri: bool) -> None:
    """Migrate the SQLite database that ``sqlite3.connect(target, uri=uri)`` opens."""
    engine = create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(target, uri=uri), poolclass=NullPool
    )
    try:
        with engine.begin() as connection:
            upgrade(connection)
    finally:
        engine.dispose()


async def migrate_postgres(url: str) -> None:
    """Migrate the PostgreSQL database at ``url`` (a plain ``postgresql://`` URL)."""
    engine = create_async_engine(
        url.replace("postgresql://", "postgresql+asyncpg://", 1), poolclass=NullPool
    )
    try:
        async with engine.begin() as connection:
            await connection.run_sync(upgrade)
    finally:
        await engine.dispose()
