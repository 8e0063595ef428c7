"""Fresh databases for the providers the suite starts: a SQLite file or a new PostgreSQL database.

A PostgreSQL database is created on the server an *admin URL* names (any database
the user may ``CREATE DATABASE`` from) and dropped again afterwards.
"""

import asyncio
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from asyncpg.exceptions import PostgresError

SQLITE = "sqlite"
POSTGRES = "postgres"


def sqlite_url(path: Path) -> str:
    """The URL of a SQLite file."""
    return f"sqlite:///{path}"


async def _admin(admin_url: str, statement: str) -> None:
    connect: Any = asyncpg.connect  # untyped
    connection = await connect(admin_url, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def create_postgres_database(admin_url: str, hint: str = "") -> str:
    """A new, empty database on the server at ``admin_url``; returns its URL.

    Fails the test (``hint`` added to the message) when the server cannot be reached.
    """
    name = f"threadpact_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    except (OSError, PostgresError) as exc:
        pytest.fail(f"PostgreSQL is not reachable at {admin_url} ({exc}){hint}")
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


def drop_postgres_database(url: str, admin_url: str) -> None:
    """Drop a database made by :func:`create_postgres_database` on ``admin_url``'s server."""
    name = url.rsplit("/", 1)[1]
    asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
