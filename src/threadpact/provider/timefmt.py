"""Server time: integer microseconds in the database, RFC 3339 UTC on the wire."""

from collections.abc import Callable
from datetime import UTC, datetime


def to_datetime(us: int) -> datetime:
    """A UTC datetime for integer microseconds since the epoch."""
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def micros(clock: Callable[[], float]) -> Callable[[], int]:
    """Turn a seconds clock into a microseconds clock."""
    return lambda: int(clock() * 1_000_000)
