"""What the spec declares about a list operation: its order, its page size, its cursor.

Read from the list operation's own declarations, never from path names:

- the order is what its summary, description, 200 answer or that answer's schema says
  in words: ``newest first`` (or ``latest``, ``most recent``) or ``oldest first`` (or
  ``earliest``), by creation;
- the page size is the integer query parameter with a ``default`` (and its bounds);
- the cursor is the query parameter whose value the page carries as ``next_<name>``;
  what the server answers to a value it never made is the 4xx status code its
  description names.
"""

import re
from dataclasses import dataclass
from typing import Any, Literal

from threadpact.checks.spec import SpecView, model_of, view_of
from threadpact.checks.types import ApiOperation
from threadpact.openapi import as_dict
from threadpact.pointers import child

Order = Literal["newest", "oldest"]
ORDER_WORDS = re.compile(
    r"\b(?P<word>newest|latest|most recent|oldest|earliest)\s+first\b", re.IGNORECASE
)
NEWEST = frozenset({"newest", "latest", "most recent"})
CLIENT_ERROR = re.compile(r"\b(4\d\d)\b")


def _texts(view: SpecView, operation: ApiOperation) -> list[str]:
    """The list operation's words: summary, description, its 200 answer and that schema's."""
    op = model_of(operation)
    if op is None:
        return []
    texts = [op.node.get("summary"), op.node.get("description")]
    found = view.spec.response_for(op, 200)
    if found is not None:
        texts.append(found[1].value.get("description"))
        for media in as_dict(found[1].value.get("content")):
            texts.append(as_dict(view.spec.schema_of(found[1], media).value).get("description"))
    return [text for text in texts if isinstance(text, str)]


def declared_order(operation: ApiOperation) -> Order | None:
    """The creation order the spec declares for a list, if it declares exactly one."""
    words = {
        found["word"].lower()
        for text in _texts(view_of(operation), operation)
        for found in ORDER_WORDS.finditer(" ".join(text.split()))
    }
    orders: set[Order] = {"newest" if word in NEWEST else "oldest" for word in words}
    return orders.pop() if len(orders) == 1 else None


@dataclass(frozen=True)
class QueryParameter:
    """A query parameter of a list operation and its resolved schema."""

    name: str
    schema: dict[str, Any]
    schema_pointer: str
    description: str


def query_parameters(operation: ApiOperation) -> list[QueryParameter]:
    """The operation's query parameters, their schemas resolved."""
    view, op = view_of(operation), model_of(operation)
    if op is None:
        return []
    found = []
    for (where, name), param in view.spec.parameters(op).items():
        if where != "query":
            continue
        schema = view.spec.resolve(param.value.get("schema"), child(param.pointer, "schema"))
        description = param.value.get("description")
        found.append(
            QueryParameter(
                name,
                as_dict(schema.value),
                schema.pointer,
                description if isinstance(description, str) else "",
            )
        )
    return found


@dataclass(frozen=True)
class PageSize:
    """The page-size parameter: its name, default and bounds."""

    name: str
    default: int
    minimum: int
    maximum: int | None


def page_size(operation: ApiOperation) -> PageSize | None:
    """The integer query parameter with a ``default``: the page size when none is asked."""
    for param in query_parameters(operation):
        schema = param.schema
        default = schema.get("default")
        if schema.get("type") == "integer" and isinstance(default, int) and default >= 1:
            low = schema.get("minimum")
            high = schema.get("maximum")
            return PageSize(
                param.name,
                default,
                low if isinstance(low, int) else 1,
                high if isinstance(high, int) else None,
            )
    return None


@dataclass(frozen=True)
class Cursor:
    """The next-page parameter and the status a value the server never made answers."""

    name: str
    status: int
    schema_pointer: str


def page_properties(operation: ApiOperation) -> set[str]:
    """The property names of the list's 200 answer (a page object)."""
    view, op = view_of(operation), model_of(operation)
    found = view.spec.response_for(op, 200) if op is not None else None
    if found is None:
        return set()
    names: set[str] = set()
    for media in as_dict(found[1].value.get("content")):
        names |= view.spec.shape(view.spec.schema_of(found[1], media).value).properties
    return names


def cursor_parameter(operation: ApiOperation) -> Cursor | None:
    """The query parameter the page names as ``next_<name>``, if its description names a 4xx."""
    properties = page_properties(operation)
    for param in query_parameters(operation):
        status = CLIENT_ERROR.search(param.description)
        if f"next_{param.name}" in properties and status is not None:
            return Cursor(param.name, int(status.group(1)), param.schema_pointer)
    return None
