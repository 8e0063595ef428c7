"""The requests a finding needs, in order, as sent and as answered.

A finding's failing request often depends on earlier ones: a message needs its
thread, B's probe needs A's create. The steps come from two places: the engine's
recorder (the chain of cases a stateful test case descends from, each with its
answer) and the exchanges a contract check keeps with its evidence
(:class:`threadpact.checks.exchange.Recorded`).
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from schemathesis.core.transport import Response
from schemathesis.engine.recorder import ScenarioRecorder

from threadpact.checks.exchange import HIDDEN_REQUEST_HEADERS, Exchange
from threadpact.checks.links import DEFAULT_ID_POINTER, id_pointer
from threadpact.checks.types import AnyCase

MIN_MADE = 8
"""Shorter values of an answer are not taken for server-made (too common to trace)."""
MADE_HEADERS = ("location", "etag")
"""Answer headers whose values later requests may reuse."""
NEXT_PAGE = "/next_"
"""A page's next-page values (``/next_cursor``) are server-made however short they are."""


@dataclass(frozen=True)
class Step:
    """One request as sent, and its answer."""

    purpose: str
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None
    status: int
    answer_headers: dict[str, str] = field(default_factory=dict)
    answer_body: bytes = b""
    id_pointer: str = DEFAULT_ID_POINTER
    parallel: bool = False
    """Sent at the same moment as the neighbouring parallel steps."""

    def header(self, name: str) -> str | None:
        """A request header's value."""
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def answer_json(self) -> Any:
        """The answer's body as JSON, or None."""
        try:
            return json.loads(self.answer_body)
        except ValueError:
            return None

    @property
    def ok(self) -> bool:
        """Whether the answer was a 2xx."""
        return 200 <= self.status < 300

    def sent(self) -> str:
        """Everything the request carried, as one text to search in."""
        values = " ".join(value for _, value in self.headers)
        return f"{self.url} {values} {(self.body or b'').decode(errors='replace')}"

    def made(self, sent: str = "") -> list[tuple[str, str, str]]:
        """``(kind, where, value)`` for what the answer made: values no request had sent.

        ``kind`` is ``json`` (``where`` a pointer into the body) or ``header``.
        """
        sent = sent or self.sent()
        found = [
            ("json", pointer, value)
            for pointer, value in leaves(self.answer_json())
            if (len(value) >= MIN_MADE or pointer.startswith(NEXT_PAGE)) and value not in sent
        ]
        found += [
            ("header", name, self.answer_headers[name])
            for name in MADE_HEADERS
            if name in self.answer_headers and self.answer_headers[name] not in sent
        ]
        return found

    def used(self) -> list[str]:
        """Values of the request a server may have made: path segments, body strings (no spaces)."""
        path = urlsplit(self.url).path
        found = [segment for segment in path.split("/") if len(segment) >= MIN_MADE]
        try:
            body = json.loads(self.body) if self.body else None
        except ValueError:
            body = None
        strings = [value for _, value in leaves(body) if len(value) >= MIN_MADE]
        return found + [value for value in strings if not any(c.isspace() for c in value)]


def leaves(value: object, pointer: str = "") -> list[tuple[str, str]]:
    """``(pointer, string)`` for every string in a JSON value."""
    if isinstance(value, dict):
        return [
            leaf
            for key, item in value.items()
            for leaf in leaves(item, f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}")
        ]
    if isinstance(value, list):
        return [
            leaf for index, item in enumerate(value) for leaf in leaves(item, f"{pointer}/{index}")
        ]
    return [(pointer, value)] if isinstance(value, str) else []


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def from_response(
    purpose: str, response: Response, case: AnyCase | None = None, *, parallel: bool = False
) -> Step:
    """A step from an answer (which keeps the request that got it)."""
    request = response.request
    body = request.body
    headers = tuple(
        (str(name), _text(value))
        for name, value in request.headers.items()
        if str(name).lower() not in HIDDEN_REQUEST_HEADERS
    )
    return Step(
        purpose=purpose,
        method=str(request.method),
        url=str(request.url),
        headers=headers,
        body=body.encode() if isinstance(body, str) else body if isinstance(body, bytes) else None,
        status=response.status_code,
        answer_headers={name.lower(): values[0] for name, values in response.headers.items()},
        answer_body=response.content or b"",
        id_pointer=id_pointer(case.operation, response.status_code) if case else DEFAULT_ID_POINTER,
        parallel=parallel,
    )


def from_exchanges(exchanges: Iterable[Exchange], *, parallel: bool = False) -> list[Step]:
    """Steps from the exchanges a check sent."""
    return [
        from_response(exchange.purpose, exchange.response, exchange.case, parallel=parallel)
        for exchange in exchanges
    ]


def chain(recorder: ScenarioRecorder, case_id: str, *, including: bool = False) -> list[Step]:
    """The requests a recorded case descends from, oldest first (and the case itself)."""
    ids: list[str] = []
    node = recorder.cases.get(case_id)
    current = node.parent_id if node is not None else None
    while current is not None and current not in ids:
        ids.append(current)
        parent = recorder.cases.get(current)
        current = parent.parent_id if parent is not None else None
    ids.reverse()
    if including:
        ids.append(case_id)
    steps = []
    for number, found in enumerate(ids, start=1):
        interaction = recorder.interactions.get(found)
        case = recorder.cases[found].value if found in recorder.cases else None
        if interaction is None or interaction.response is None:
            continue
        purpose = "the failing request" if found == case_id else f"setup: step {number}"
        steps.append(from_response(purpose, interaction.response, case))
    return steps


def parallel(steps: Sequence[Step], copies: int) -> list[Step]:
    """``copies`` of the first step, to be sent at the same moment."""
    if not steps:
        return []
    first = steps[0]
    return [
        Step(
            purpose=f"one of {copies} concurrent requests with one key",
            method=first.method,
            url=first.url,
            headers=first.headers,
            body=first.body,
            status=first.status,
            answer_headers=first.answer_headers,
            answer_body=first.answer_body,
            id_pointer=first.id_pointer,
            parallel=True,
        )
        for _ in range(copies)
    ]
