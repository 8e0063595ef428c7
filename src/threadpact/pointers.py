"""JSON pointers (RFC 6901), on the ``jsonpointer`` library: building one, reading at one.

A module of its own, with no heavy imports, so the provider can use it too.
"""

from collections.abc import Iterable
from typing import Any

from jsonpointer import JsonPointer, resolve_pointer


def json_pointer(parts: Iterable[Any]) -> str:
    """A JSON pointer for a sequence of keys and indexes (``/`` for none: the root)."""
    return JsonPointer.from_parts([str(part) for part in parts]).path or "/"


def child(pointer: str, *parts: Any) -> str:
    """The pointer of ``parts`` (unescaped keys) below ``pointer``."""
    return pointer + JsonPointer.from_parts([str(part) for part in parts]).path


def value_at(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer in ``document``, or None if there is none."""
    return resolve_pointer(document, pointer, None)
