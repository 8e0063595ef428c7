"""Requests the checks send: build them from a case, send them, show them as evidence."""

import json
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from requests.structures import CaseInsensitiveDict
from schemathesis.core import NOT_SET

from threadpact.checks.context import Principal
from threadpact.checks.spec import header, json_body
from threadpact.checks.types import AnyCase, ApiOperation, Response
from threadpact.names import AUTHORIZATION
from threadpact.pointers import value_at

KEEP: Any = object()
"""Marks an argument of :func:`build` that keeps the case's own value."""
BODY_LIMIT = 600
SHOWN_RESPONSE_HEADERS = ("location", "idempotent-replayed", "etag", "content-type")
HIDDEN_REQUEST_HEADERS = frozenset(
    {
        "user-agent",
        "accept",
        "accept-encoding",
        "connection",
        "content-length",
        "x-schemathesis-testcaseid",
    }
)


@dataclass(frozen=True)
class Exchange:
    """One request a check sent (or the engine sent), its answer, and why it was sent."""

    purpose: str
    case: AnyCase
    response: Response

    @property
    def status(self) -> int:
        """The answer's status code."""
        return self.response.status_code

    @property
    def ok(self) -> bool:
        """Whether the answer is a 2xx."""
        return 200 <= self.status < 300

    def json(self) -> Any:
        """The answer's body as JSON, or None."""
        return json_body(self.response)

    def value(self, pointer: str) -> Any:
        """A value in the answer's JSON body, or None."""
        return value_at(self.json(), pointer)

    def header(self, name: str) -> str | None:
        """An answer header."""
        return header(self.response, name)

    def curl(self) -> str:
        """A curl line that sends the same request."""
        return self.case.as_curl_command()

    def describe(self) -> str:
        """The request and the answer, for a report."""
        request = self.response.request
        lines = [f"--> {request.method} {request.url}    ({self.purpose})"]
        for name, sent in request.headers.items():
            if name.lower() not in HIDDEN_REQUEST_HEADERS:
                lines.append(f"    {name}: {_text(sent)}")
        if request.body:
            lines.append(f"    {_clip(_text(request.body))}")
        lines.append(f"<-- {self.status} {self.response.message}".rstrip())
        for name in SHOWN_RESPONSE_HEADERS:
            value = self.header(name)
            if value is not None:
                lines.append(f"    {name.title()}: {value}")
        if self.response.content:
            lines.append(f"    {_clip(self.response.content.decode(errors='replace'))}")
        return "\n".join(lines)


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return value if isinstance(value, str) else "(a streamed body)"


def _clip(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= BODY_LIMIT else text[:BODY_LIMIT] + f"... ({len(text)} characters)"


def build(
    case: AnyCase,
    *,
    operation: ApiOperation | None = None,
    principal: Principal | None = None,
    headers: dict[str, str | None] | None = None,
    path_parameters: dict[str, Any] | None = None,
    query: dict[str, Any] | None = None,
    body: Any = KEEP,
    media_type: str | None = None,
) -> AnyCase:
    """A new request based on ``case``: another operation, principal, headers or body."""
    target = operation or case.operation
    same = operation is None
    merged: CaseInsensitiveDict[str] = CaseInsensitiveDict(dict(case.headers or {}) if same else {})
    if not same and case.headers and AUTHORIZATION in case.headers:
        merged[AUTHORIZATION] = case.headers[AUTHORIZATION]
    for name, value in (headers or {}).items():
        merged.pop(name, None)
        if value is not None:
            merged[name] = value
    if principal is not None:
        merged[AUTHORIZATION] = principal.authorization
    built: AnyCase = target.Case(
        path_parameters=path_parameters
        if path_parameters is not None
        else (dict(case.path_parameters) if same else {}),
        headers=merged,
        query=query if query is not None else (dict(case.query) if same else {}),
        body=(case.body if same else NOT_SET) if body is KEEP else body,
        media_type=media_type or (case.media_type if same else None),
    )
    return built


def send(purpose: str, case: AnyCase) -> Exchange:
    """Send a request and keep it with its answer."""
    return Exchange(purpose, case, case.call())


def burst(purpose: str, cases: Sequence[AnyCase]) -> list[Exchange]:
    """Send requests at the same moment, one thread each."""
    start = threading.Barrier(len(cases))

    def go(case: AnyCase) -> Exchange:
        start.wait(timeout=30)
        return send(purpose, case)

    with ThreadPoolExecutor(max_workers=len(cases)) as pool:
        return list(pool.map(go, cases))


class Recorded(str):
    """Evidence or a reproduction that keeps the exchanges it was made from.

    Reports read ``exchanges`` to write scripts that replay them from a fresh server.
    """

    exchanges: tuple[Exchange, ...] = ()


def recorded(text: str, exchanges: Sequence[Exchange]) -> Recorded:
    """``text`` carrying ``exchanges``."""
    found = Recorded(text)
    found.exchanges = tuple(exchanges)
    return found


def evidence(exchanges: Sequence[Exchange]) -> str:
    """Every exchange, request and answer, in order."""
    return recorded("\n\n".join(exchange.describe() for exchange in exchanges), exchanges)


def reproduce(exchanges: Sequence[Exchange]) -> str:
    """One shell line that sends the same requests in order."""
    return recorded(" && ".join(exchange.curl() for exchange in exchanges), exchanges)


def same_json(left: Exchange, right: Exchange) -> bool:
    """Whether two answers carry equal JSON bodies."""
    return bool(json.dumps(left.json(), sort_keys=True) == json.dumps(right.json(), sort_keys=True))
