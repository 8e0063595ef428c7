"""What the checks read from the spec: the key parameter, bodies, JSON and headers."""

from collections.abc import Iterator
from typing import Any

from threadpact.checks.types import AnyCase, ApiOperation, Response
from threadpact.names import IDEMPOTENCY_KEY


def idempotency_parameter(operation: ApiOperation) -> Any | None:
    """The operation's Idempotency-Key header parameter, if it declares one."""
    for parameter in operation.headers:
        if str(parameter.name).lower() == IDEMPOTENCY_KEY.lower():
            return parameter
    return None


def body_definition(case: AnyCase) -> Any | None:
    """The spec's body (schema and examples) for the case's media type."""
    if case.media_type is None:
        return None
    return case.operation.get_body_for_media_type(case.media_type)


def is_valid_body(case: AnyCase, body: Any) -> bool:
    """Whether the spec accepts ``body`` for the case's operation and media type."""
    definition = body_definition(case)
    return definition is not None and bool(definition.is_valid(body))


def string_variants(value: str) -> Iterator[str]:
    """Other strings close to ``value``: longer, shorter, or short constants."""
    yield value + "x"
    yield value[:-1]
    yield "x" if value != "x" else "y"
    yield "threadpact"


def other_body(case: AnyCase) -> Any | None:
    """Another body the spec accepts: one string field changed, else an example."""
    body = case.body
    if not isinstance(body, dict):
        return None
    for name, value in body.items():
        if isinstance(value, str):
            for variant in string_variants(value):
                candidate = {**body, name: variant}
                if variant != value and is_valid_body(case, candidate):
                    return candidate
    definition = body_definition(case)
    for example in definition.examples if definition is not None else []:
        if example != body and is_valid_body(case, example):
            return example
    return None


def marked_body(case: AnyCase, marker: str) -> tuple[dict[str, Any], str] | None:
    """The case's body with one string field set to ``marker``, and that field's name."""
    body = case.body
    if not isinstance(body, dict):
        return None
    for name, value in body.items():
        candidate = {**body, name: marker}
        if isinstance(value, str) and is_valid_body(case, candidate):
            return candidate, name
    return None


def example_body(operation: ApiOperation) -> tuple[Any, str] | None:
    """A body the spec gives as an example for ``operation``, with its media type."""
    for definition in operation.body:
        for example in definition.examples:
            if definition.is_valid(example):
                return example, str(definition.media_type)
    return None


def json_body(response: Response) -> Any:
    """The response body as JSON, or None."""
    try:
        return response.json()
    except ValueError:
        return None


def header(response: Response, name: str) -> str | None:
    """A response header's first value."""
    values = response.headers.get(name.lower())
    return values[0] if values else None
