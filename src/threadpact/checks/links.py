"""The spec's links: where a create's answer leads, and where the new resource's ID is."""

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from schemathesis.core import NotSet

from threadpact.checks.spec import header, json_body, model_of, view_of
from threadpact.checks.types import AnyCase, ApiOperation, Response
from threadpact.openapi import as_dict
from threadpact.pointers import value_at

DEFAULT_ID_POINTER = "/id"


def success_links(operation: ApiOperation, status: int) -> list[tuple[str, dict[str, Any]]]:
    """The links the spec declares on a response status of ``operation``."""
    spec, op = view_of(operation).spec, model_of(operation)
    found = spec.response_for(op, status) if op is not None else None
    if found is None:
        return []
    _code, response = found
    return [
        (str(name), as_dict(spec.resolve(link).value))
        for name, link in as_dict(response.value.get("links")).items()
    ]


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
    op = model_of(operation)
    declared = view_of(operation).spec.parameters(op) if op is not None else {}
    return next((where for where, known in declared if known in (name, name.lower())), None)


def _find_target(operation: ApiOperation, link: dict[str, Any]) -> ApiOperation | None:
    target = view_of(operation).spec.link_target(link)
    if target is None:
        return None
    try:
        found: ApiOperation = operation.schema.find_operation_by_label(target.label_path)
    except LookupError:
        return None
    return found


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
