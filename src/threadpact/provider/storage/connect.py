"""Open the database a URL names, migrated to the newest schema."""

from threadpact.provider.storage.base import Database
from threadpact.provider.storage.migrate import migrate_postgres, migrate_sqlite
from threadpact.provider.storage.postgres import PostgresDatabase
from threadpact.provider.storage.sqlite import SqliteDatabase, connect
from threadpact.provider.storage.urls import parse_url


async def open_database(url: str) -> Database:
    """Migrate, then connect: a SQLite connection or a PostgreSQL pool."""
    where = parse_url(url)
    if where.backend == "sqlite":
        target, uri = where.sqlite_target()
        # Opened first, so that a shared in-memory database outlives the migration.
        connection = connect(target, uri=uri)
        try:
            migrate_sqlite(target, uri=uri)
        except BaseException:
            connection.close()
            raise
        return SqliteDatabase(connection)
    await migrate_postgres(where.url)
    return await PostgresDatabase.open(where.url)
