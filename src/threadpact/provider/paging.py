"""Opaque cursors for cursor pagination."""

import base64
import binascii

from threadpact.provider.problems import ProblemError
from threadpact.provider.storage.base import Database, Row


def encode_cursor(kind: str, seq: int) -> str:
    """A cursor that resumes after row ``seq`` of a ``kind`` listing."""
    return base64.urlsafe_b64encode(f"{kind}.{seq}".encode()).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str | None) -> int | None:
    """The row a cursor resumes after, or a 400 if this server did not make it."""
    if cursor is None:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        prefix, _, seq = text.partition(".")
        if prefix == kind and seq.isdigit() and len(seq) < 19:
            return int(seq)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise ProblemError(
        400, "cursor is not one this server made; start without one", slug="bad-cursor"
    )


async def fetch_page(
    database: Database,
    kind: str,
    queries: tuple[str, str],
    scope: str,
    limit: int,
    cursor: str | None,
) -> tuple[list[Row], str | None]:
    """One page of a ``kind`` listing and the cursor of the next page (None on the last).

    ``queries`` are the first page's SQL (``scope``, limit) and the SQL of a page after a
    row (``scope``, seq, limit); each asks for one row more than ``limit`` to see if
    another page follows. A cursor this server did not make is a 400.
    """
    first, after = queries
    position = decode_cursor(kind, cursor)
    if position is None:
        rows = await database.fetch_all(first, scope, limit + 1)
    else:
        rows = await database.fetch_all(after, scope, position, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, encode_cursor(kind, rows[-1]["seq"]) if more else None
