"""Lint rules for creates (a POST answering 201): the key, the answer, the body, the ID."""

from collections.abc import Iterator
from typing import Any

from threadpact.gate.lint.registry import header_key, rule
from threadpact.names import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, LOCATION
from threadpact.openapi import Located, Operation, Spec, as_dict
from threadpact.pointers import child


def creates(spec: Spec) -> Iterator[Operation]:
    """Every create: a POST that answers 201."""
    return (op for op in spec.operations if op.is_create)


@rule("lint.idempotency-key")
def idempotency_key(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every create requires an ``Idempotency-Key`` header of 1 to 255 characters."""
    for op in creates(spec):
        found = spec.parameters(op).get(("header", IDEMPOTENCY_KEY.lower()))
        if found is None:
            yield f"{op.pointer}/parameters", f"{op.label} declares no {IDEMPOTENCY_KEY} header"
            continue
        if found.value.get("required") is not True:
            yield f"{found.pointer}/required", f"{op.label}: {IDEMPOTENCY_KEY} must be required"
        schema = spec.resolve(found.value.get("schema"), f"{found.pointer}/schema")
        node = as_dict(schema.value)
        if (
            node.get("type") != "string"
            or not isinstance(node.get("minLength"), int)
            or node["minLength"] < 1
            or not isinstance(node.get("maxLength"), int)
            or node["maxLength"] > 255
        ):
            yield (
                schema.pointer,
                f"{op.label}: {IDEMPOTENCY_KEY} must be a string of 1 to 255 characters",
            )


def created_responses(spec: Spec) -> Iterator[tuple[Operation, Located[dict[str, Any]]]]:
    """Each create with its resolved 201 response."""
    for op in creates(spec):
        for code, response in spec.responses(op):
            if code == "201":
                yield op, response


@rule("lint.create-location")
def create_location(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every create's 201 documents ``Location``."""
    for op, response in created_responses(spec):
        if header_key(response.value, LOCATION) is None:
            yield f"{response.pointer}/headers", f"{op.label} 201 documents no {LOCATION} header"


@rule("lint.create-replayed")
def create_replayed(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every create's 201 documents ``Idempotent-Replayed``."""
    for op, response in created_responses(spec):
        if header_key(response.value, IDEMPOTENT_REPLAYED) is None:
            yield (
                f"{response.pointer}/headers",
                f"{op.label} 201 documents no {IDEMPOTENT_REPLAYED} header",
            )


@rule("lint.create-links")
def create_links(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every create's 201 links to what can be done with the new ID."""
    for op, response in created_responses(spec):
        if not as_dict(response.value.get("links")):
            yield (
                f"{response.pointer}/links",
                f"{op.label} 201 has no links to use the created ID with",
            )


@rule("lint.create-body")
def create_body(spec: Spec) -> Iterator[tuple[str, str]]:
    """A create body has no ``id`` and rejects unknown fields."""
    for op in creates(spec):
        body = spec.request_body(op)
        for media in as_dict(body.value.get("content")):
            schema = spec.schema_of(body, media)
            node = as_dict(schema.value)
            if "id" in spec.shape(node).properties:
                yield (
                    f"{schema.pointer}/properties/id",
                    f"{op.label}: the server makes IDs; the body has none",
                )
            if node.get("additionalProperties") is not False and (
                node.get("unevaluatedProperties") is not False
            ):
                yield (
                    schema.pointer,
                    f"{op.label}: the body must reject unknown fields (additionalProperties false)",
                )


@rule("lint.create-errors")
def create_errors(spec: Spec) -> Iterator[tuple[str, str]]:
    """A create documents 400 (bad key) and 422 (bad body, key reused)."""
    for op in creates(spec):
        codes = {code for code, _response in spec.responses(op)}
        for code, why in (("400", "missing or malformed key"), ("422", "client ID, key reuse")):
            if code not in codes:
                yield (
                    child(op.pointer, "responses", code),
                    f"{op.label} documents no {code} ({why})",
                )


@rule("lint.server-id")
def server_id(spec: Spec) -> Iterator[tuple[str, str]]:
    """A created resource has a required, server-made UUID ``id``."""
    for op, response in created_responses(spec):
        for media in as_dict(response.value.get("content")):
            schema = spec.schema_of(response, media)
            required = spec.shape(schema.value).required
            id_raw = as_dict(as_dict(schema.value).get("properties")).get("id")
            id_schema = as_dict(spec.resolve(id_raw).value)
            if "id" not in required or id_schema.get("format") != "uuid":
                yield (
                    schema.pointer,
                    f"{op.label} 201: the body must require an `id` of format uuid",
                )
