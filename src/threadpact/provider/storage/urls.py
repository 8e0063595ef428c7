"""Database URLs: ``sqlite:///FILE`` (the default) or ``postgresql://...``."""

import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from threadpact.errors import UsageError

SQLITE_DRIVERS = ("sqlite", "sqlite+pysqlite", "sqlite+aiosqlite")
POSTGRES_DRIVERS = ("postgresql", "postgres", "postgresql+asyncpg")


@dataclass(frozen=True)
class DatabaseUrl:
    """Where the provider keeps its data."""

    backend: str
    """``sqlite`` or ``postgresql``."""
    url: str
    """The canonical URL, password included."""
    sqlite_path: str | None = None
    """For SQLite: the file, or None for a private in-memory database."""

    def sqlite_target(self) -> tuple[str, bool]:
        """What sqlite3.connect opens, and whether it is a URI (in-memory databases are)."""
        if self.sqlite_path is not None:
            return self.sqlite_path, False
        return f"file:threadpact-{uuid.uuid4().hex}?mode=memory&cache=shared", True


def parse_url(url: str) -> DatabaseUrl:
    """Parse a database URL; a UsageError (one line) if it cannot work."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise UsageError(f"bad database URL {url!r}: {exc}") from exc
    if parsed.drivername in SQLITE_DRIVERS:
        path = parsed.database
        if path in (None, "", ":memory:"):
            return DatabaseUrl("sqlite", "sqlite://")
        folder = Path(path).resolve().parent
        if not folder.is_dir():
            raise UsageError(f"database folder {folder} does not exist")
        return DatabaseUrl("sqlite", f"sqlite:///{path}", path)
    if parsed.drivername in POSTGRES_DRIVERS:
        canonical = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        return DatabaseUrl("postgresql", canonical)
    raise UsageError(
        f"unsupported database {parsed.drivername!r}: use sqlite:///FILE or postgresql://..."
    )
