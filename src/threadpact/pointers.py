"""JSON pointers (RFC 6901): building one from keys, and reading the value at one.

A module of its own, with no heavy imports, so the provider can use it too.
"""

from collections.abc import Iterable
from typing import Any


def json_pointer(parts: Iterable[Any]) -> str:
    """A JSON pointer for a sequence of keys and indexes."""
    return "/" + "/".join(str(part).replace("~", "~0").replace("/", "~1") for part in parts)


def value_at(document: Any, pointer: str) -> Any:
    """The value at a JSON pointer in ``document``, or None if there is none."""
    node = document
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node
