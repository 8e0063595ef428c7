"""Timestamps in UTC, wherever the spec says a ``date-time`` is one.

A field is held to it when its schema has ``format: date-time`` and its description
(on the property or on the schema it refers to) says ``UTC``. Every answer of the run
is read against the schema the spec documents for its status and media type; a
date-time there must carry the offset ``Z`` or ``+00:00`` (or ``-00:00``, which RFC 3339
defines as a UTC time whose local offset is unknown). Whether it is a valid RFC 3339
date-time at all is ``response_schema_conformance``'s to judge.
"""

import re
from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.context import state_for
from threadpact.checks.exchange import Exchange, evidence
from threadpact.checks.failures import UTC_TIMES, TimestampNotUtc
from threadpact.checks.spec import header, json_body, model_of, view_of
from threadpact.checks.types import AnyCase, Response
from threadpact.openapi import Spec, as_dict
from threadpact.pointers import child

DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
UTC_OFFSETS = frozenset({"Z", "z", "+00:00", "-00:00"})
SAYS_UTC = re.compile(r"\bUTC\b")
MAX_DEPTH = 32
COMBINATORS = ("allOf", "anyOf", "oneOf")


def says_utc(spec: Spec, node: Any) -> bool:
    """Whether a schema (as written, or what it refers to) is a date-time said to be UTC."""
    written, resolved = as_dict(node), as_dict(spec.resolve(node).value)
    if "date-time" not in (written.get("format"), resolved.get("format")):
        return False
    texts = (written.get("description"), resolved.get("description"))
    return any(isinstance(text, str) and SAYS_UTC.search(text) for text in texts)


def utc_values(
    spec: Spec, node: Any, value: Any, where: str = "", depth: int = 0
) -> Iterator[tuple[str, Any]]:
    """Every value in ``value`` (at its JSON pointer) that its schema says is a UTC time."""
    if depth > MAX_DEPTH:
        return
    if says_utc(spec, node):
        yield where, value
        return
    schema = as_dict(spec.resolve(node).value)
    for combinator in COMBINATORS:
        for part in schema.get(combinator) or []:
            yield from utc_values(spec, part, value, where, depth + 1)
    if isinstance(value, dict):
        for name, sub in as_dict(schema.get("properties")).items():
            if name in value:
                yield from utc_values(spec, sub, value[name], child(where, name), depth + 1)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            yield from utc_values(spec, schema["items"], item, child(where, index), depth + 1)


def not_utc(text: Any) -> str | None:
    """The offset of an RFC 3339 date-time that is not UTC; None if UTC or not a date-time."""
    if not isinstance(text, str):
        return None
    found = DATE_TIME.fullmatch(text)
    if found is None or found["offset"] in UTC_OFFSETS:
        return None
    return found["offset"]


def answer_schema(case: AnyCase, response: Response) -> Any:
    """The schema the spec documents for this answer's status and media type, or None."""
    view, op = view_of(case.operation), model_of(case.operation)
    found = view.spec.response_for(op, response.status_code) if op is not None else None
    if found is None:
        return None
    content = as_dict(found[1].value.get("content"))
    media = (header(response, "content-type") or "").split(";", 1)[0].strip().lower()
    chosen = media if media in content else next(iter(content), None)
    return view.spec.schema_of(found[1], chosen).value if chosen is not None else None


@schemathesis.check
def timestamps_utc(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Every date-time the spec says is UTC carries a UTC offset."""
    state = state_for(case)
    schema = answer_schema(case, response) if state is not None else None
    if state is None or schema is None:
        return True
    spec = view_of(case.operation).spec
    found = list(utc_values(spec, schema, json_body(response)))
    if not found:
        return True
    state.count(UTC_TIMES)
    wrong = [(where, text, offset) for where, text in found if (offset := not_utc(text))]
    if wrong:
        shown = [Exchange("the answer", case, response)]
        named = "; ".join(f"{where} is {text!r} (offset {offset})" for where, text, offset in wrong)
        raise TimestampNotUtc(
            operation=case.operation.label,
            summary=f"A timestamp the spec says is UTC is not: {named}.",
            evidence=evidence(shown),
            reproduce=case.as_curl_command(),
        )
    return None
