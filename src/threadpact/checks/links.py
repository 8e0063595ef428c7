"""The spec's links: where a create's answer leads, and where the new resource's ID is."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from schemathesis.core import NotSet

from threadpact.checks.spec import header, json_body
from threadpact.checks.types import AnyCase, ApiOperation, Response
from threadpact.pointers import value_at

DEFAULT_ID_POINTER = "/id"


def success_links(operation: ApiOperation, status: int) -> list[tuple[str, dict[str, Any]]]:
    """The links the spec declares on a response status of ``operation``."""
    response = operation.responses.find_by_status_code(status)
    if response is None:
        return []
    return [(str(name), dict(link)) for name, link in response.iter_links()]


def id_pointer(operation: ApiOperation, status: int) -> str:
    """Where the created resource's ID is in the body: the pointer the spec's links use most."""
    pointers: Counter[str] = Counter()
    for _, link in success_links(operation, status):
        for expression in link.get("parameters", {}).values():
            if isinstance(expression, str) and expression.startswith("$response.body#"):
                pointers[expression.removeprefix("$response.body#")] += 1
    return pointers.most_common(1)[0][0] if pointers else DEFAULT_ID_POINTER


def evaluate(expression: Any, case: AnyCase, response: Response) -> Any:
    """A link's runtime expression (a constant passes through); None when it cannot be read."""
    if not isinstance(expression, str) or not expression.startswith("$"):
        return expression
    source, _, rest = expression.partition(".")
    if source == "$response" and rest.startswith("body"):
        return value_at(json_body(response), rest.removeprefix("body").removeprefix("#"))
    if source == "$response" and rest.startswith("header."):
        return header(response, rest.removeprefix("header."))
    if source == "$request":
        location, _, name = rest.partition(".")
        if location == "body" or rest.startswith("body#"):
            body = None if isinstance(case.body, NotSet) else case.body
            return value_at(body, rest.removeprefix("body").removeprefix("#"))
        containers = {
            "path": case.path_parameters,
            "query": case.query,
            "header": case.headers or {},
        }
        container = containers.get(location)
        return container.get(name) if container is not None else None
    return None


@dataclass
class LinkTarget:
    """An operation a link leads to, with the parameters the link fills in."""

    name: str
    operation: ApiOperation
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    expressions: dict[str, str] = field(default_factory=dict)


def _declared_location(operation: ApiOperation, name: str) -> str | None:
    containers = {
        "path": operation.path_parameters,
        "query": operation.query,
        "header": operation.headers,
        "cookie": operation.cookies,
    }
    for location, container in containers.items():
        if any(parameter.name == name for parameter in container):
            return location
    return None


def _find_target(operation: ApiOperation, link: dict[str, Any]) -> ApiOperation | None:
    schema = operation.schema
    try:
        if "operationId" in link:
            by_id: ApiOperation = schema.find_operation_by_id(link["operationId"])
            return by_id
        if "operationRef" in link:
            by_reference: ApiOperation = schema.find_operation_by_reference(link["operationRef"])
            return by_reference
    except LookupError:
        return None
    return None


def link_targets(case: AnyCase, response: Response) -> Iterator[LinkTarget]:
    """The operations the spec links a response to, with their parameters evaluated."""
    for name, link in success_links(case.operation, response.status_code):
        target = _find_target(case.operation, link)
        if target is None:
            continue
        found = LinkTarget(name, target)
        for key, expression in link.get("parameters", {}).items():
            location, _, parameter = str(key).rpartition(".")
            location = location or _declared_location(target, parameter) or "path"
            value = evaluate(expression, case, response)
            if value is None:
                break
            found.parameters.setdefault(location, {})[parameter] = value
            found.expressions[parameter] = str(expression)
        else:
            yield found
