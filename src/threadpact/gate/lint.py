"""The ``lint`` step: the spec is valid OpenAPI 3.1 and obeys the thread ID contract.

Each rule is a small generator registered with :func:`rule`; it yields
``(JSON pointer, message)`` pairs and never raises on a malformed spec (the
``lint.openapi`` and ``lint.ref`` rules report what is malformed). A finding about a
shared component (``#/components/responses/BadRequest``) names the component once.

The helpers that walk a spec (:func:`resolve`, :func:`operations`,
:func:`parameters`, :func:`responses`) are shared with the crosscheck step.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from referencing.exceptions import Unresolvable

from threadpact.gate.report import Finding, StepResult
from threadpact.names import IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED, LOCATION, PROBLEM_JSON
from threadpact.names import WWW_AUTHENTICATE as WWW_AUTH
from threadpact.pointers import json_pointer, value_at
from threadpact.spec import read_spec, validation_errors

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM_FIELDS = ("type", "title", "status", "detail")
REQUIRED_MODELS = ("LocalThread", "ServerThread")
# Keys whose values are data, not spec objects: never look for $ref or schemas inside.
DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum"})

Check = Callable[[dict[str, Any]], Iterator[tuple[str, str]]]
RULES: dict[str, Check] = {}


def rule(name: str) -> Callable[[Check], Check]:
    """Register a lint rule under a stable name."""

    def register(check: Check) -> Check:
        RULES[name] = check
        return check

    return register


# Walking a spec -------------------------------------------------------------------


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def child(pointer: str, *parts: Any) -> str:
    """The pointer of ``parts`` (unescaped keys) below ``pointer``."""
    return pointer + json_pointer(parts) if parts else pointer


def resolve(document: dict[str, Any], node: Any, pointer: str) -> tuple[Any, str]:
    """Follow local ``$ref`` chains from ``node`` (at ``pointer``) to their target.

    Returns the target and its pointer; the target is None for a broken or remote ref.
    """
    seen: set[str] = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str):
        ref: str = node["$ref"]
        if not ref.startswith("#") or ref in seen:
            return None, pointer
        seen.add(ref)
        pointer = unquote(ref[1:])
        node = value_at(document, pointer)
    return node, pointer


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, where it is, and its path item."""

    path: str
    method: str
    pointer: str
    node: dict[str, Any]
    item: dict[str, Any]
    item_pointer: str

    @property
    def label(self) -> str:
        """``POST /threads (createThread)``."""
        op_id = self.node.get("operationId")
        return f"{self.method.upper()} {self.path}" + (f" ({op_id})" if op_id else "")

    @property
    def is_create(self) -> bool:
        """A POST that answers 201."""
        return self.method == "post" and "201" in map(str, as_dict(self.node.get("responses")))


def operations(document: dict[str, Any]) -> Iterator[Operation]:
    """Every operation under ``paths``, in document order."""
    for path, raw in as_dict(document.get("paths")).items():
        item, item_pointer = resolve(document, raw, json_pointer(["paths", path]))
        for method, node in as_dict(item).items():
            if method in HTTP_METHODS and isinstance(node, dict):
                yield Operation(
                    path, method, f"{item_pointer}/{method}", node, as_dict(item), item_pointer
                )


def parameters(
    document: dict[str, Any], op: Operation
) -> dict[tuple[str, str], tuple[dict[str, Any], str]]:
    """The operation's parameters (path-item ones overridden by its own), resolved.

    Keyed by ``(in, name)``; header names are lower-cased.
    """
    found: dict[tuple[str, str], tuple[dict[str, Any], str]] = {}
    for owner, base in ((op.item, op.item_pointer), (op.node, op.pointer)):
        listed = owner.get("parameters")
        for index, raw in enumerate(listed if isinstance(listed, list) else []):
            node, pointer = resolve(document, raw, f"{base}/parameters/{index}")
            if not isinstance(node, dict) or not isinstance(node.get("name"), str):
                continue
            where = str(node.get("in", ""))
            name = node["name"].lower() if where == "header" else node["name"]
            found[(where, name)] = (node, pointer)
    return found


def responses(document: dict[str, Any], op: Operation) -> Iterator[tuple[str, dict[str, Any], str]]:
    """``(status key, resolved response, its pointer)`` for each documented response."""
    for code, raw in as_dict(op.node.get("responses")).items():
        node, pointer = resolve(document, raw, f"{op.pointer}/responses/{code}")
        if isinstance(node, dict):
            yield str(code), node, pointer


def header(node: dict[str, Any], name: str) -> str | None:
    """The key of ``name`` in a headers mapping, matched case-insensitively."""
    return next((key for key in as_dict(node.get("headers")) if key.lower() == name.lower()), None)


def schema_of(
    document: dict[str, Any], container: dict[str, Any], media: str, pointer: str
) -> tuple[Any, str]:
    """The resolved schema of ``container.content[media]``, with its pointer."""
    base = child(pointer, "content", media, "schema")
    schema = as_dict(as_dict(container.get("content")).get(media)).get("schema")
    return resolve(document, schema, base) if schema is not None else (None, base)


def object_shape(
    document: dict[str, Any], schema: Any, depth: int = 0
) -> tuple[set[str], set[str], set[str]]:
    """Types, property names and required names of a schema, merging its ``allOf``."""
    node, _ = resolve(document, schema, "")
    node = as_dict(node) if depth < 16 else {}
    kind = node.get("type")
    types = {kind} if isinstance(kind, str) else {t for t in kind or [] if isinstance(t, str)}
    props = set(as_dict(node.get("properties")))
    required = {r for r in node.get("required") or [] if isinstance(r, str)}
    for part in node.get("allOf") or []:
        more = object_shape(document, part, depth + 1)
        types |= more[0]
        props |= more[1]
        required |= more[2]
    return types, props, required


def security_of(document: dict[str, Any], op: Operation) -> tuple[Any, str]:
    """The operation's effective security requirement and where it is declared."""
    if "security" in op.node:
        return op.node["security"], f"{op.pointer}/security"
    return document.get("security"), "/security"


def walk(node: Any, parts: tuple[Any, ...]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """Every spec object under ``node`` with its path, skipping example data."""
    yield node, parts
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in DATA_KEYS:
                yield from walk(value, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*parts, index))


# Rules ----------------------------------------------------------------------------


@rule("lint.ref")
def refs_resolve(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every ``$ref`` is local and names something."""
    for node, parts in walk(document, ()):
        if isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if not ref.startswith("#"):
                yield json_pointer([*parts, "$ref"]), f"{ref!r} is not a local reference"
            elif resolve(document, node, "")[0] is None:
                yield json_pointer([*parts, "$ref"]), f"{ref!r} names nothing in the spec"


@rule("lint.operation-id")
def operation_ids(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every operation has an operationId, and no two share one."""
    seen: dict[str, str] = {}
    for op in operations(document):
        op_id = op.node.get("operationId")
        if not isinstance(op_id, str) or not op_id:
            yield op.pointer, f"{op.label} has no operationId"
        elif op_id in seen:
            yield f"{op.pointer}/operationId", f"{op_id!r} is also the operationId of {seen[op_id]}"
        else:
            seen[op_id] = op.label


@rule("lint.security")
def security_declared(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every operation needs a credential, of a scheme the spec defines."""
    schemes = as_dict(as_dict(document.get("components")).get("securitySchemes"))
    for op in operations(document):
        requirement, pointer = security_of(document, op)
        if not isinstance(requirement, list) or not requirement:
            yield pointer, f"{op.label} declares no security; every call needs a bearer token"
            continue
        for index, alternative in enumerate(requirement):
            if not as_dict(alternative):
                yield f"{pointer}/{index}", f"{op.label} may be called without a credential"
            for name in as_dict(alternative):
                if name not in schemes:
                    yield (
                        child(pointer, index, name),
                        f"security scheme {name!r} is not in /components/securitySchemes",
                    )


@rule("lint.unauthorized")
def unauthorized_documented(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every secured operation documents 401 with ``WWW-Authenticate``."""
    for op in operations(document):
        requirement, _ = security_of(document, op)
        if not isinstance(requirement, list) or not requirement:
            continue
        found = {code: (node, ptr) for code, node, ptr in responses(document, op)}
        if "401" not in found:
            yield f"{op.pointer}/responses", f"{op.label} is secured but documents no 401"
        elif header(found["401"][0], WWW_AUTH) is None:
            yield f"{found['401'][1]}/headers", f"{op.label} 401 documents no {WWW_AUTH} header"


def error_responses(
    document: dict[str, Any],
) -> Iterator[tuple[Operation, str, dict[str, Any], str]]:
    """Each 4xx, 5xx and ``default`` response of each operation."""
    for op in operations(document):
        for code, node, pointer in responses(document, op):
            if code == "default" or code[:1] in ("4", "5"):
                yield op, code, node, pointer


@rule("lint.problem-json")
def problem_json(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every error response is ``application/problem+json``, and only that."""
    for op, code, node, pointer in error_responses(document):
        content = as_dict(node.get("content"))
        if PROBLEM_JSON not in content:
            yield f"{pointer}/content", f"{op.label} answers {code} without an {PROBLEM_JSON} body"
        for media in content:
            if media != PROBLEM_JSON:
                yield (
                    child(pointer, "content", media),
                    f"{op.label} answers {code} with {media}; error bodies are {PROBLEM_JSON}",
                )


@rule("lint.problem-schema")
def problem_schema(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every problem body is an object requiring type, title, status and detail."""
    for op, code, node, pointer in error_responses(document):
        if PROBLEM_JSON not in as_dict(node.get("content")):
            continue
        schema, where = schema_of(document, node, PROBLEM_JSON, pointer)
        if schema is None:
            yield where, f"{op.label} {code}: the problem body has no (resolvable) schema"
            continue
        types, props, required = object_shape(document, schema)
        missing = [name for name in PROBLEM_FIELDS if name not in props or name not in required]
        if "object" not in types or missing:
            yield (
                where,
                (
                    f"{op.label} {code}: a problem must be an object with required "
                    f"{', '.join(PROBLEM_FIELDS)}"
                    + (f" (missing or optional: {', '.join(missing)})" if missing else "")
                ),
            )


def creates(document: dict[str, Any]) -> Iterator[Operation]:
    """Every create: a POST that answers 201."""
    return (op for op in operations(document) if op.is_create)


@rule("lint.idempotency-key")
def idempotency_key(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every create requires an ``Idempotency-Key`` header of 1 to 255 characters."""
    for op in creates(document):
        found = parameters(document, op).get(("header", IDEMPOTENCY_KEY.lower()))
        if found is None:
            yield f"{op.pointer}/parameters", f"{op.label} declares no {IDEMPOTENCY_KEY} header"
            continue
        node, pointer = found
        if node.get("required") is not True:
            yield f"{pointer}/required", f"{op.label}: {IDEMPOTENCY_KEY} must be required"
        schema, where = resolve(document, node.get("schema"), f"{pointer}/schema")
        schema = as_dict(schema)
        if (
            schema.get("type") != "string"
            or not isinstance(schema.get("minLength"), int)
            or schema["minLength"] < 1
            or not isinstance(schema.get("maxLength"), int)
            or schema["maxLength"] > 255
        ):
            yield where, f"{op.label}: {IDEMPOTENCY_KEY} must be a string of 1 to 255 characters"


def created(document: dict[str, Any]) -> Iterator[tuple[Operation, dict[str, Any], str]]:
    """Each create with its resolved 201 response."""
    for op in creates(document):
        for code, node, pointer in responses(document, op):
            if code == "201":
                yield op, node, pointer


@rule("lint.create-location")
def create_location(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every create's 201 documents ``Location``."""
    for op, node, pointer in created(document):
        if header(node, LOCATION) is None:
            yield f"{pointer}/headers", f"{op.label} 201 documents no {LOCATION} header"


@rule("lint.create-replayed")
def create_replayed(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every create's 201 documents ``Idempotent-Replayed``."""
    for op, node, pointer in created(document):
        if header(node, IDEMPOTENT_REPLAYED) is None:
            yield f"{pointer}/headers", f"{op.label} 201 documents no {IDEMPOTENT_REPLAYED} header"


@rule("lint.create-links")
def create_links(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every create's 201 links to what can be done with the new ID."""
    for op, node, pointer in created(document):
        if not as_dict(node.get("links")):
            yield f"{pointer}/links", f"{op.label} 201 has no links to use the created ID with"


@rule("lint.link-target")
def link_targets(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Every link names an existing operation and only parameters it has."""
    by_id = {str(op.node.get("operationId")): op for op in operations(document)}
    for op in operations(document):
        for _code, response, pointer in responses(document, op):
            for name, raw in as_dict(response.get("links")).items():
                link, where = resolve(document, raw, child(pointer, "links", name))
                link = as_dict(link)
                target = by_id.get(str(link.get("operationId"))) if "operationId" in link else None
                if "operationRef" in link:
                    ref = str(link["operationRef"])
                    target = next((o for o in operations(document) if f"#{o.pointer}" == ref), None)
                if target is None:
                    wanted = link.get("operationId", link.get("operationRef"))
                    yield where, f"link {name!r} names no operation of the spec ({wanted!r})"
                    continue
                known = {key[1] for key in parameters(document, target)}
                known |= {f"{key[0]}.{key[1]}" for key in parameters(document, target)}
                for param in as_dict(link.get("parameters")):
                    if param not in known and param.lower() not in known:
                        yield (
                            child(where, "parameters", param),
                            f"link {name!r}: {target.label} has no parameter {param!r}",
                        )


@rule("lint.create-body")
def create_body(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """A create body has no ``id`` and rejects unknown fields."""
    for op in creates(document):
        body, pointer = resolve(document, op.node.get("requestBody"), f"{op.pointer}/requestBody")
        for media in as_dict(as_dict(body).get("content")):
            schema, where = schema_of(document, as_dict(body), media, pointer)
            schema = as_dict(schema)
            if "id" in object_shape(document, schema)[1]:
                yield (
                    f"{where}/properties/id",
                    f"{op.label}: the server makes IDs; the body has none",
                )
            if schema.get("additionalProperties") is not False and (
                schema.get("unevaluatedProperties") is not False
            ):
                yield (
                    where,
                    f"{op.label}: the body must reject unknown fields (additionalProperties false)",
                )


@rule("lint.create-errors")
def create_errors(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """A create documents 400 (bad key) and 422 (bad body, key reused)."""
    for op in creates(document):
        codes = {code for code, _node, _ptr in responses(document, op)}
        for code, why in (("400", "missing or malformed key"), ("422", "client ID, key reuse")):
            if code not in codes:
                yield (
                    child(op.pointer, "responses", code),
                    f"{op.label} documents no {code} ({why})",
                )


@rule("lint.server-id")
def server_id(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """A created resource has a required, server-made UUID ``id``."""
    for op, node, pointer in created(document):
        for media in as_dict(node.get("content")):
            schema, where = schema_of(document, node, media, pointer)
            required = object_shape(document, schema)[2]
            id_raw = as_dict(as_dict(schema).get("properties")).get("id")
            id_schema = as_dict(resolve(document, id_raw, "")[0])
            if "id" not in required or id_schema.get("format") != "uuid":
                yield where, f"{op.label} 201: the body must require an `id` of format uuid"


@rule("lint.models")
def models_exist(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Both models of the contract are schemas of the spec."""
    schemas = as_dict(as_dict(document.get("components")).get("schemas"))
    for name in REQUIRED_MODELS:
        if name not in schemas:
            yield child("/components/schemas", name), f"the {name} schema is missing"


@rule("lint.path-id-format")
def path_id_format(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Path IDs (``id``, ``*_id``, ``*Id``) are UUIDs."""
    for op in operations(document):
        for (where, name), (node, pointer) in parameters(document, op).items():
            if where != "path" or not (name == "id" or name.endswith(("_id", "Id"))):
                continue
            schema, spot = resolve(document, node.get("schema"), f"{pointer}/schema")
            if as_dict(schema).get("format") != "uuid" or as_dict(schema).get("type") != "string":
                yield spot, f"path parameter {name!r} must be a string of format uuid"


@rule("lint.timestamp-format")
def timestamp_format(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Server timestamps (``*_at``) are RFC 3339 strings."""
    schemas = as_dict(as_dict(document.get("components")).get("schemas"))
    for node, parts in walk(schemas, ("components", "schemas")):
        for name, raw in as_dict(as_dict(node).get("properties")).items():
            if not name.endswith("_at"):
                continue
            schema, where = resolve(document, raw, json_pointer([*parts, "properties", name]))
            if as_dict(schema).get("format") != "date-time":
                yield where, f"timestamp {name!r} must be a string of format date-time"


# The step -------------------------------------------------------------------------


def lint_document(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every finding as ``(rule, pointer, message)``, each pointer once per rule."""
    found: list[tuple[str, str, str]] = []
    try:
        found += [("lint.openapi", ptr, msg) for ptr, msg in validation_errors(document)]
    except Unresolvable as exc:
        found.append(("lint.openapi", "/", f"validation stopped at the unresolvable {exc.ref!r}"))
    for name, check in RULES.items():
        found += [(name, ptr, msg) for ptr, msg in check(document)]
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
        else f"{spec_path.name}: valid OpenAPI 3.1; all {len(RULES)} contract rules hold"
    )
    return StepResult(
        name="lint",
        status="failed" if findings else "passed",
        seconds=time.perf_counter() - started,
        summary=summary,
        findings=findings,
    )
