"""The ``lint`` step: the spec is valid OpenAPI 3.1 and obeys the thread ID contract.

Each rule is a small generator registered with :func:`rule`; it reads the spec through
:class:`threadpact.openapi.Spec`, yields ``(JSON pointer, message)`` pairs and never
raises on a malformed spec (the ``lint.openapi`` and ``lint.ref`` rules report what is
malformed). A finding about a shared component (``#/components/responses/BadRequest``)
names the component once.
"""

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from referencing.exceptions import Unresolvable

from threadpact.gate.report import Finding, StepResult
from threadpact.names import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, LOCATION, PROBLEM_JSON
from threadpact.names import WWW_AUTHENTICATE as WWW_AUTH
from threadpact.openapi import Located, Operation, Spec, as_dict, read_spec, validation_errors, walk
from threadpact.pointers import child, json_pointer

PROBLEM_FIELDS = ("type", "title", "status", "detail")
REQUIRED_MODELS = ("LocalThread", "ServerThread")

LintRule = Callable[[Spec], Iterator[tuple[str, str]]]
LINT_RULES: dict[str, LintRule] = {}


def rule(name: str) -> Callable[[LintRule], LintRule]:
    """Register a lint rule under a stable name."""

    def register(check: LintRule) -> LintRule:
        LINT_RULES[name] = check
        return check

    return register


def header_key(node: dict[str, Any], name: str) -> str | None:
    """The key of ``name`` in a headers mapping, matched case-insensitively."""
    return next((key for key in as_dict(node.get("headers")) if key.lower() == name.lower()), None)


# Rules ----------------------------------------------------------------------------


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


@rule("lint.link-target")
def link_targets(spec: Spec) -> Iterator[tuple[str, str]]:
    """Every link names an existing operation and only parameters it has."""
    yield from spec.link_errors()


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


# The step -------------------------------------------------------------------------


def lint_document(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every finding as ``(rule, pointer, message)``, each pointer once per rule."""
    found: list[tuple[str, str, str]] = []
    try:
        found += [("lint.openapi", ptr, msg) for ptr, msg in validation_errors(document)]
    except Unresolvable as exc:
        found.append(("lint.openapi", "/", f"validation stopped at the unresolvable {exc.ref!r}"))
    spec = Spec(document)
    for name, check in LINT_RULES.items():
        found += [(name, ptr, msg) for ptr, msg in check(spec)]
    seen: set[tuple[str, str, str]] = set()
    unique: list[tuple[str, str, str]] = []
    for name, ptr, msg in found:
        key = (name, ptr, msg if name == "lint.openapi" else "")
        if key not in seen:
            seen.add(key)
            unique.append((name, ptr, msg))
    return unique


def run_lint(spec_path: Path) -> StepResult:
    """Lint one spec file; a missing or unparsable file raises UsageError."""
    started = time.perf_counter()
    document = read_spec(spec_path)
    findings = [
        Finding(rule=name, message=msg, where=ptr, reproduce=f"threadpact lint {spec_path}")
        for name, ptr, msg in lint_document(document)
    ]
    summary = (
        f"{spec_path.name}: {len(findings)} finding(s)"
        if findings
        else f"{spec_path.name}: valid OpenAPI 3.1; all {len(LINT_RULES)} contract rules hold"
    )
    return StepResult(
        name="lint",
        status="failed" if findings else "passed",
        seconds=time.perf_counter() - started,
        summary=summary,
        findings=findings,
    )
