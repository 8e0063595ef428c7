"""What the checks read from the spec, through :mod:`threadpact.openapi`, and from answers.

The checks receive schemathesis's operations and cases; what they need to know of
the spec (the key parameter, request bodies and their examples, links) is read from
the same document through threadpact's one spec model, built once per schema.
"""

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from threadpact.checks.types import AnyCase, ApiOperation, Response
from threadpact.names import IDEMPOTENCY_KEY
from threadpact.openapi import Operation, SchemaChecker, Spec, as_dict
from threadpact.pointers import child


@dataclass(frozen=True)
class SpecView:
    """A schemathesis schema's document as threadpact's spec model, with its validators."""

    spec: Spec
    schemas: SchemaChecker

    def is_valid(self, schema_pointer: str, value: Any) -> bool:
        """Whether ``value`` fits the schema at ``schema_pointer``."""
        return next(iter(self.schemas.errors(schema_pointer, value)), None) is None


_VIEWS: dict[int, tuple[object, SpecView]] = {}
_VIEWS_LOCK = threading.Lock()


def view_of(operation: ApiOperation) -> SpecView:
    """The spec model of the schema ``operation`` belongs to (made once per schema)."""
    schema = operation.schema
    with _VIEWS_LOCK:
        found = _VIEWS.get(id(schema))
        if found is None or found[0] is not schema:
            spec = Spec(schema.raw_schema)
            found = (schema, SpecView(spec, SchemaChecker(spec)))
            _VIEWS[id(schema)] = found
    return found[1]


def model_of(operation: ApiOperation) -> Operation | None:
    """The spec model's operation for a schemathesis operation."""
    return view_of(operation).spec.find(operation.method, operation.path)


@dataclass(frozen=True)
class KeyParameter:
    """An operation's Idempotency-Key header: its name as declared, and its schema."""

    name: str
    view: SpecView
    schema_pointer: str

    def is_valid(self, value: str) -> bool:
        """Whether the spec accepts ``value`` as the key."""
        return self.view.is_valid(self.schema_pointer, value)


def idempotency_parameter(operation: ApiOperation) -> KeyParameter | None:
    """The operation's Idempotency-Key header parameter, if it declares one."""
    view, op = view_of(operation), model_of(operation)
    param = view.spec.parameters(op).get(("header", IDEMPOTENCY_KEY.lower())) if op else None
    if param is None:
        return None
    schema = view.spec.resolve(param.value.get("schema"), child(param.pointer, "schema"))
    return KeyParameter(str(param.value["name"]), view, schema.pointer)


def body_schema(operation: ApiOperation, media_type: str | None) -> str | None:
    """Where the schema of the operation's request body for ``media_type`` is."""
    view, op = view_of(operation), model_of(operation)
    if op is None or media_type is None:
        return None
    body = view.spec.request_body(op)
    if "schema" not in as_dict(as_dict(body.value.get("content")).get(media_type)):
        return None
    return view.spec.schema_of(body, media_type).pointer


def is_valid_body(case: AnyCase, body: Any) -> bool:
    """Whether the spec accepts ``body`` for the case's operation and media type."""
    pointer = body_schema(case.operation, case.media_type)
    return pointer is not None and view_of(case.operation).is_valid(pointer, body)


def body_examples(operation: ApiOperation, media_type: str) -> list[Any]:
    """The examples the spec gives for a request body: the media type's, then the schema's."""
    view, op = view_of(operation), model_of(operation)
    if op is None:
        return []
    body = view.spec.request_body(op)
    item = as_dict(as_dict(body.value.get("content")).get(media_type))
    found = [item["example"]] if "example" in item else []
    found += [
        as_dict(view.spec.resolve(example).value).get("value")
        for example in as_dict(item.get("examples")).values()
    ]
    schema = as_dict(view.spec.schema_of(body, media_type).value)
    found += list(schema.get("examples") or []) + (
        [schema["example"]] if "example" in schema else []
    )
    return [example for example in found if example is not None]


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
    for example in body_examples(case.operation, case.media_type or ""):
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
    view, op = view_of(operation), model_of(operation)
    if op is None:
        return None
    for media in as_dict(view.spec.request_body(op).value.get("content")):
        pointer = body_schema(operation, media)
        for example in body_examples(operation, media):
            if pointer is not None and view.is_valid(pointer, example):
                return example, media
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
