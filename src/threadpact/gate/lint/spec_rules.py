"""Lint rules for the whole spec: references, operations, security, errors, links, formats."""

from collections.abc import Iterator
from typing import Any

from threadpact.gate.lint.registry import header_key, rule
from threadpact.names import PROBLEM_JSON
from threadpact.names import WWW_AUTHENTICATE as WWW_AUTH
from threadpact.openapi import Located, Operation, Spec, as_dict, walk
from threadpact.pointers import child, json_pointer

PROBLEM_FIELDS = ("type", "title", "status", "detail")
REQUIRED_MODELS = ("LocalThread", "ServerThread")


@rule("lint.ref")
def refs_resolve(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every ``$ref`` is local and names something."""
    for node, parts in walk(spec.document):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#"):
                yield json_pointer([*parts, "$ref"]), f"{ref!r} is not a local reference"
            elif spec.resolve(node).value is None:
                yield json_pointer([*parts, "$ref"]), f"{ref!r} names nothing in the spec"


@rule("lint.operation-id")
def operation_ids(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every operation has an operationId, and no two share one."""
    seen: dict[str, str] = {}
    for op in spec.operations:
        op_id = op.operation_id
        if op_id is None:
            yield op.pointer, f"{op.label} has no operationId"
        elif op_id in seen:
            yield f"{op.pointer}/operationId", f"{op_id!r} is also the operationId of {seen[op_id]}"
        else:
            seen[op_id] = op.label


@rule("lint.security")
def security_declared(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every operation needs a credential, of a scheme the spec defines."""
    schemes = spec.component("securitySchemes")
    for op in spec.operations:
        requirement = spec.security(op)
        if not isinstance(requirement.value, list) or not requirement.value:
            yield (
                requirement.pointer,
                f"{op.label} declares no security; every call needs a bearer token",
            )
            continue
        for index, alternative in enumerate(requirement.value):
            if not as_dict(alternative):
                yield (
                    f"{requirement.pointer}/{index}",
                    f"{op.label} may be called without a credential",
                )
            for name in as_dict(alternative):
                if name not in schemes:
                    yield (
                        child(requirement.pointer, index, name),
                        f"security scheme {name!r} is not in /components/securitySchemes",
                    )


@rule("lint.unauthorized")
def unauthorized_documented(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every secured operation documents 401 with ``WWW-Authenticate``."""
    for op in spec.operations:
        requirement = spec.security(op).value
        if not isinstance(requirement, list) or not requirement:
            continue
        found = dict(spec.responses(op))
        if "401" not in found:
            yield f"{op.pointer}/responses", f"{op.label} is secured but documents no 401"
        elif header_key(found["401"].value, WWW_AUTH) is None:
            yield (
                f"{found['401'].pointer}/headers",
                f"{op.label} 401 documents no {WWW_AUTH} header",
            )


def error_responses(spec: Spec) -> Iterator[tuple[Operation, str, Located[dict[str, Any]]]]:
    """Each 4xx, 5xx and ``default`` response of each operation."""
    for op in spec.operations:
        for code, response in spec.responses(op):
            if code == "default" or code[:1] in ("4", "5"):
                yield op, code, response


@rule("lint.problem-json")
def problem_json(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every error response is ``application/problem+json``, and only that."""
    for op, code, response in error_responses(spec):
        content = as_dict(response.value.get("content"))
        if PROBLEM_JSON not in content:
            yield (
                f"{response.pointer}/content",
                f"{op.label} answers {code} without an {PROBLEM_JSON} body",
            )
        for media in content:
            if media != PROBLEM_JSON:
                yield (
                    child(response.pointer, "content", media),
                    f"{op.label} answers {code} with {media}; error bodies are {PROBLEM_JSON}",
                )


@rule("lint.problem-schema")
def problem_schema(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every problem body is an object requiring type, title, status and detail."""
    for op, code, response in error_responses(spec):
        if PROBLEM_JSON not in as_dict(response.value.get("content")):
            continue
        schema = spec.schema_of(response, PROBLEM_JSON)
        if schema.value is None:
            yield schema.pointer, f"{op.label} {code}: the problem body has no (resolvable) schema"
            continue
        shape = spec.shape(schema.value)
        missing = [
            name
            for name in PROBLEM_FIELDS
            if name not in shape.properties or name not in shape.required
        ]
        if "object" not in shape.types or missing:
            yield (
                schema.pointer,
                (
                    f"{op.label} {code}: a problem must be an object with required "
                    f"{', '.join(PROBLEM_FIELDS)}"
                    + (f" (missing or optional: {', '.join(missing)})" if missing else "")
                ),
            )


@rule("lint.link-target")
def link_targets(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every link names an existing operation and only parameters it has."""
    yield from spec.link_errors()


@rule("lint.models")
def models_exist(spec: Spec) -> Iterator[tuple[str, str]]:
    """Both models of the contract are schemas of the spec."""
    schemas = spec.component("schemas")
    for name in REQUIRED_MODELS:
        if name not in schemas:
            yield child("/components/schemas", name), f"the {name} schema is missing"


@rule("lint.path-id-format")
def path_id_format(spec: Spec) -> Iterator[tuple[str, str]]:
    """Path IDs (``id``, ``*_id``, ``*Id``) are UUIDs."""
    for op in spec.operations:
        for (where, name), param in spec.parameters(op).items():
            if where != "path" or not (name == "id" or name.endswith(("_id", "Id"))):
                continue
            schema = spec.resolve(param.value.get("schema"), f"{param.pointer}/schema")
            node = as_dict(schema.value)
            if node.get("format") != "uuid" or node.get("type") != "string":
                yield schema.pointer, f"path parameter {name!r} must be a string of format uuid"


@rule("lint.timestamp-format")
def timestamp_format(spec: Spec) -> Iterator[tuple[str, str]]:
    """Server timestamps (``*_at``) are RFC 3339 strings."""
    for node, parts in walk(spec.component("schemas"), ("components", "schemas")):
        for name, raw in as_dict(as_dict(node).get("properties")).items():
            if not name.endswith("_at"):
                continue
            schema = spec.resolve(raw, json_pointer([*parts, "properties", name]))
            if as_dict(schema.value).get("format") != "date-time":
                yield schema.pointer, f"timestamp {name!r} must be a string of format date-time"
