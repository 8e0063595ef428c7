"""Opaque cursors for cursor pagination."""

import base64
import binascii

from threadpact.provider.problems import ProblemError


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
