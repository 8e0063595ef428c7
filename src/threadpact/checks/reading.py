"""Reading a created resource back: through the spec's links, else its Location header."""

import re
from typing import Any
from urllib.parse import urlparse

from threadpact.checks.context import Principal, RunState
from threadpact.checks.exchange import KEEP, Exchange, build, send
from threadpact.checks.links import LinkTarget, link_targets
from threadpact.checks.spec import example_body, idempotency_parameter
from threadpact.checks.types import AnyCase, Response

PARAMETER = re.compile(r"\\\{([^}]+)\\\}")


def match_path(template: str, path: str) -> dict[str, str] | None:
    """The path parameters of ``path`` if it fits ``template`` (``/threads/{thread_id}``)."""
    names: list[str] = []

    def group(found: re.Match[str]) -> str:
        names.append(found.group(1))
        return f"(?P<p{len(names) - 1}>[^/]+)"

    pattern = PARAMETER.sub(group, re.escape(template))
    matched = re.fullmatch(pattern, path)
    if matched is None:
        return None
    return {name: matched.group(f"p{index}") for index, name in enumerate(names)}


def reads_the_id(target: LinkTarget, id_pointer: str) -> bool:
    """Whether a link leads to a GET whose last path segment is the created resource's ID."""
    last = target.operation.path.rstrip("/").rsplit("/", 1)[-1]
    name = last[1:-1] if last.startswith("{") and last.endswith("}") else None
    return (
        target.operation.method.upper() == "GET"
        and name is not None
        and target.expressions.get(name) == f"$response.body#{id_pointer}"
    )


def target_case(
    case: AnyCase, target: LinkTarget, principal: Principal, state: RunState
) -> AnyCase | None:
    """The request a link leads to, as ``principal``; None if the spec gives no way to fill it."""
    operation = target.operation
    path = target.parameters.get("path", {})
    if any(parameter.name not in path for parameter in operation.path_parameters):
        return None
    headers: dict[str, str | None] = {
        str(k): str(v) for k, v in target.parameters.get("header", {}).items()
    }
    body: Any = None
    media_type = None
    if len(operation.body):
        example = example_body(operation)
        if example is None:
            return None
        body, media_type = example
    key = idempotency_parameter(operation)
    if key is not None:
        fresh = state.issue_key(key.is_valid)
        if fresh is None:
            return None
        headers[str(key.name)] = fresh
    return build(
        case,
        operation=operation,
        principal=principal,
        headers=headers,
        path_parameters={str(k): v for k, v in path.items()},
        query=dict(target.parameters.get("query", {})),
        body=body if media_type is not None else KEEP,
        media_type=media_type,
    )


def location_case(case: AnyCase, response: Response, principal: Principal) -> AnyCase | None:
    """A GET of the answer's Location, if the spec has an operation there."""
    values = response.headers.get("location")
    if not values:
        return None
    path = urlparse(values[0]).path
    base = urlparse(case.operation.base_url or "").path.rstrip("/")
    path = path.removeprefix(base) if base else path
    operation = case.operation.schema.find_operation_by_path("GET", path)
    if operation is None:
        return None
    parameters = match_path(operation.path, path) or {}
    return build(case, operation=operation, principal=principal, path_parameters=parameters)


def read_back(
    case: AnyCase,
    response: Response,
    id_pointer: str,
    principal: Principal,
    state: RunState,
    purpose: str,
) -> Exchange | None:
    """GET the resource an answer created, by its ID (via the links) or else its Location."""
    for target in link_targets(case, response):
        if reads_the_id(target, id_pointer):
            request = target_case(case, target, principal, state)
            if request is not None:
                return send(purpose, request)
    request = location_case(case, response, principal)
    return send(purpose, request) if request is not None else None
