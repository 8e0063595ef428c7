"""The ``crosscheck`` step: every pact interaction is a legal exchange under the spec.

Bi-directional contract testing without a broker: the consumer's pact files (V2, V3
or V4, from any pact library) are checked against ``openapi.yaml`` alone, with no
provider running. For each HTTP interaction, the example values the pact records
(what the consumer sends, and what it expects back) must be allowed by the spec: the
path and method, path, query and header parameters, the request body, the status,
the response headers the spec documents, and the response body for its content type.
Schemas are checked with a real JSON Schema validator (OAS 3.1 dialect, ``$ref``s
resolved against the whole spec, ``uuid`` and ``date-time`` formats asserted).

A negative test is legal: when the pact expects a 4xx, the request may break the spec
(that is the point of the interaction), so request mismatches are not reported; the
status and the problem body must still be documented. A path segment that is still a
provider-state expression (``${thread_id}``) is filled in by the provider, so only its
place in the path is checked.

Provider-state names must be the contract's: the spec's ``x-provider-states`` list if
it has one, else :data:`threadpact.names.PROVIDER_STATES`.

A pact file that is not valid JSON, or not a pact, is a finding (``crosscheck.pact-file``)
rather than a usage error: it is a committed contract artifact, and the report should
name it next to the other findings while every other pact file is still checked.
"""

import base64
import binascii
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from openapi_schema_validator import OAS31Validator, oas31_format_checker
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from threadpact.errors import UsageError
from threadpact.gate.lint import (
    Operation,
    as_dict,
    child,
    operations,
    parameters,
    resolve,
    responses,
    security_of,
    walk,
)
from threadpact.gate.report import Finding, StepResult
from threadpact.names import PROVIDER_STATES
from threadpact.spec import load_spec

SPEC_URI = "urn:threadpact:openapi"
HTTP = "Synchronous/HTTP"
STATE_EXPRESSION = re.compile(r"^\$\{[^}]+\}$")
# Headers any HTTP response may carry without the spec documenting them.
GENERIC_HEADERS = frozenset(
    {"content-length", "date", "server", "connection", "transfer-encoding", "vary"}
    | {"cache-control", "keep-alive", "content-encoding", "access-control-allow-origin"}
)
# Request headers OpenAPI describes elsewhere (content, security), never as parameters.
RESERVED_HEADERS = frozenset({"accept", "content-type", "authorization"})


class BadPact(Exception):
    """A pact file or interaction that cannot be read as one."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer


@dataclass(frozen=True)
class Mismatch:
    """One way an interaction breaks the spec, located in the pact file."""

    rule: str
    pointer: str
    message: str


@dataclass(frozen=True)
class Body:
    """A body as a value, its media type and where both are in the pact."""

    value: Any
    media: str
    media_pointer: str
    pointer: str


@dataclass(frozen=True)
class Exchange:
    """One HTTP interaction of a pact, normalised across pact versions."""

    description: str
    pointer: str
    states: list[tuple[str, str]]
    method: str
    path: str
    query: dict[str, list[tuple[str, str]]]
    request_headers: dict[str, tuple[str, str]]
    request_body: Body | None
    status: int
    response_headers: dict[str, tuple[str, str]]
    response_body: Body | None


# Reading pact files ----------------------------------------------------------------


def media_type(text: str) -> str:
    """``application/json`` from ``Application/JSON; charset=utf-8``."""
    return text.split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    """Whether a media type carries JSON."""
    return media == "application/json" or media.endswith("+json")


def read_headers(raw: Any, pointer: str) -> dict[str, tuple[str, str]]:
    """Lower-cased name -> (pointer, value); list values (V4) are joined with commas."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in as_dict(raw).items():
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        found[str(name).lower()] = (child(pointer, name), text)
    return found


def read_query(raw: Any, pointer: str) -> dict[str, list[tuple[str, str]]]:
    """Name -> [(pointer, value)], from a V3/V4 mapping or a V2 query string."""
    found: dict[str, list[tuple[str, str]]] = {}
    if isinstance(raw, str):
        for name, value in parse_qsl(raw, keep_blank_values=True):
            found.setdefault(name, []).append((pointer, value))
        return found
    for name, values in as_dict(raw).items():
        listed = values if isinstance(values, list) else [values]
        for index, value in enumerate(listed):
            spot = child(pointer, name, index) if isinstance(values, list) else child(pointer, name)
            found.setdefault(str(name), []).append((spot, str(value)))
    return found


def read_body(
    side: dict[str, Any], pointer: str, headers: dict[str, tuple[str, str]], v4: bool
) -> Body | None:
    """The body of a request or response, decoded, or None if the pact has none."""
    raw = side.get("body")
    header_pointer, header_type = headers.get("content-type", (None, None))
    if v4 and isinstance(raw, dict):
        if raw.get("content") is None:
            return None
        stated = raw.get("contentType")
        declared = str(stated) if stated else header_type
        where = child(pointer, "body", "contentType") if stated else header_pointer
        value = decode(raw["content"], raw.get("encoded"), declared, child(pointer, "body"))
        spot = child(pointer, "body", "content")
    elif raw is None:
        return None
    else:
        declared, where, value, spot = header_type, header_pointer, raw, child(pointer, "body")
    if declared is None:
        declared = "text/plain" if isinstance(value, str) else "application/json"
    return Body(value, media_type(declared), where or spot, spot)


def decode(content: Any, encoded: Any, declared: str | None, pointer: str) -> Any:
    """A V4 body's content as a JSON value (or text, for non-JSON types)."""
    json_body = declared is None or is_json(media_type(declared))
    if isinstance(encoded, str) and encoded.lower() == "base64":
        try:
            content = base64.b64decode(str(content), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadPact(pointer, "the body is marked base64 but does not decode") from None
    elif not (isinstance(encoded, str) and encoded.lower() == "json"):
        return content
    if json_body and isinstance(content, str):
        try:
            return json.loads(content)
        except ValueError:
            raise BadPact(pointer, "the body is not the JSON its content type says") from None
    return content


def read_states(raw: dict[str, Any], pointer: str) -> list[tuple[str, str]]:
    """(pointer, name) of each provider state (V3/V4 list, or the V2 single state)."""
    if isinstance(raw.get("providerState"), str):
        return [(child(pointer, "providerState"), raw["providerState"])]
    states = raw.get("providerStates")
    return [
        (child(pointer, "providerStates", index, "name"), str(as_dict(state).get("name")))
        for index, state in enumerate(states if isinstance(states, list) else [])
    ]


def read_exchange(raw: Any, pointer: str, v4: bool) -> Exchange:
    """One interaction as an :class:`Exchange`; :class:`BadPact` if it cannot be one."""
    if not isinstance(raw, dict):
        raise BadPact(pointer, "an interaction must be a JSON object")
    kind = raw.get("type", HTTP)
    if kind != HTTP:
        raise BadPact(
            child(pointer, "type"), f"type {kind!r} is not {HTTP!r}; the spec describes HTTP only"
        )
    request, response = as_dict(raw.get("request")), as_dict(raw.get("response"))
    method, path, status = request.get("method"), request.get("path"), response.get("status")
    if not isinstance(method, str) or not isinstance(path, str) or not isinstance(status, int):
        raise BadPact(pointer, "needs request.method, request.path and an integer status")
    req, res = child(pointer, "request"), child(pointer, "response")
    request_headers = read_headers(request.get("headers"), child(req, "headers"))
    response_headers = read_headers(response.get("headers"), child(res, "headers"))
    return Exchange(
        description=str(raw.get("description", pointer)),
        pointer=pointer,
        states=read_states(raw, pointer),
        method=method.lower(),
        path=path,
        query=read_query(request.get("query"), child(req, "query")),
        request_headers=request_headers,
        request_body=read_body(request, req, request_headers, v4),
        status=status,
        response_headers=response_headers,
        response_body=read_body(response, res, response_headers, v4),
    )


def pact_version(pact: dict[str, Any]) -> int:
    """The pact specification's major version (4 if interactions carry a type)."""
    metadata = as_dict(pact.get("metadata"))
    spec = as_dict(metadata.get("pactSpecification") or metadata.get("pact-specification"))
    version = str(spec.get("version", ""))
    if version[:1].isdigit():
        return int(version.split(".", maxsplit=1)[0])
    interactions = pact.get("interactions")
    typed = isinstance(interactions, list) and any("type" in as_dict(i) for i in interactions)
    return 4 if typed else 3


# The spec --------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """A path template of the spec, as a regular expression."""

    template: str
    pattern: re.Pattern[str]
    names: list[str]
    operations: dict[str, Operation]


def route(template: str, ops: dict[str, Operation]) -> Route:
    """Compile ``/threads/{thread_id}`` so each parameter is one path segment."""
    pieces = re.split(r"(\{[^{}/]+\})", template)
    names = [piece[1:-1] for piece in pieces[1::2]]
    regex = "".join("([^/]+)" if i % 2 else re.escape(piece) for i, piece in enumerate(pieces))
    return Route(template, re.compile(regex), names, ops)


class Spec:
    """A loaded spec, indexed for matching requests and validating values."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT202012.create_resource(document)
        )
        self.places: dict[int, str] = {}
        for node, parts in walk(document, ()):
            if isinstance(node, dict):
                self.places.setdefault(id(node), child("", *parts))
        grouped: dict[str, dict[str, Operation]] = {}
        for op in operations(document):
            grouped.setdefault(op.path, {})[op.method] = op
        self.routes = sorted(
            (route(path, ops) for path, ops in grouped.items()),
            key=lambda r: (len(r.names), -len(r.template)),
        )
        servers = document.get("servers")
        bases = [str(as_dict(server).get("url", "")) for server in servers or []]
        # "" first, then each server URL's path ("/api/v1"), once each.
        self.prefixes = list(
            dict.fromkeys(["", *(re.sub(r"^[a-z]+://[^/]+", "", b).rstrip("/") for b in bases)])
        )
        states = document.get("x-provider-states")
        self.states = (
            {str(as_dict(s).get("name", s)) for s in states}
            if isinstance(states, list)
            else set(PROVIDER_STATES)
        )
        self._validators: dict[str, Any] = {}

    def errors(self, schema_pointer: str, instance: Any) -> Iterator[tuple[str, str, str]]:
        """``(pointer below the instance, message, spec pointer)`` per schema violation."""
        validator = self._validators.get(schema_pointer)
        if validator is None:
            validator = OAS31Validator(
                {"$ref": f"{SPEC_URI}#{quote(schema_pointer, safe='/~')}"},
                registry=self.registry,
                format_checker=oas31_format_checker,
            )
            self._validators[schema_pointer] = validator
        try:
            found = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
        except Unresolvable as exc:
            yield "", f"the spec's schema has an unresolvable $ref {exc.ref!r}", schema_pointer
            return
        for error in found:
            where = self.places.get(id(error.schema), schema_pointer)
            spec_pointer = child(where, error.validator)
            path = child("", *error.path)
            extras = unexpected(error)
            if extras:
                for name in extras:
                    yield child(path, name), f"{name!r} is not allowed here", spec_pointer
            else:
                message = error.message if len(error.message) < 200 else error.message[:197] + "..."
                yield path, message, spec_pointer


def unexpected(error: Any) -> list[str]:
    """The member names an ``additionalProperties: false`` error is about."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return []
    schema = as_dict(error.schema)
    if schema.get("patternProperties"):
        return []
    return [name for name in error.instance if name not in as_dict(schema.get("properties"))]


# Checking one exchange -------------------------------------------------------------


def schema_types(spec: Spec, schema: Any) -> set[str]:
    """The JSON types a (resolved) schema names at its top level."""
    node = as_dict(resolve(spec.document, schema, "")[0])
    kind = node.get("type")
    return {kind} if isinstance(kind, str) else {str(t) for t in kind or []}


def coerce(spec: Spec, schema: Any, text: str) -> Any:
    """A parameter's text as the JSON value its schema expects, when it can be one."""
    types = schema_types(spec, schema)
    if not types or "string" in types:
        return text
    if "integer" in types and re.fullmatch(r"-?\d+", text):
        return int(text)
    if "number" in types and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text):
        return float(text)
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if "array" in types:
        items = as_dict(resolve(spec.document, schema, "")[0]).get("items")
        return [coerce(spec, items, part) for part in text.split(",")]
    return text


def check_value(
    spec: Spec, rule: str, label: str, param: tuple[dict[str, Any], str], value: Any, where: str
) -> Iterator[Mismatch]:
    """A parameter or header value against its schema."""
    node, pointer = param
    if "schema" not in node:
        return
    schema, schema_pointer = resolve(spec.document, node["schema"], child(pointer, "schema"))
    if isinstance(value, str):
        value = coerce(spec, schema, value)
    for _path, message, spec_pointer in spec.errors(schema_pointer, value):
        yield Mismatch(rule, where, f"{label}: {message} (spec: {spec_pointer})")


def find_operation(spec: Spec, ex: Exchange) -> tuple[Operation, dict[str, str]] | Mismatch:
    """The operation an exchange calls, with its raw path parameter values."""
    matched: list[tuple[Route, re.Match[str]]] = []
    for prefix in spec.prefixes:
        if ex.path.startswith(prefix):
            rest = ex.path[len(prefix) :] or "/"
            matched += [(r, m) for r in spec.routes if (m := r.pattern.fullmatch(rest))]
    if not matched:
        return Mismatch(
            "crosscheck.path",
            child(ex.pointer, "request", "path"),
            f"no path of the spec matches {ex.path}",
        )
    for found, match in matched:
        if ex.method in found.operations:
            values = {
                name: unquote(value)
                for name, value in zip(found.names, match.groups(), strict=True)
            }
            return found.operations[ex.method], values
    allowed = ", ".join(m.upper() for m in matched[0][0].operations)
    return Mismatch(
        "crosscheck.method",
        child(ex.pointer, "request", "method"),
        f"{matched[0][0].template} has no {ex.method.upper()} operation (it has {allowed})",
    )


def check_path(
    spec: Spec, ex: Exchange, op: Operation, values: dict[str, str]
) -> Iterator[Mismatch]:
    """Path parameter values against their schemas."""
    params = parameters(spec.document, op)
    where = child(ex.pointer, "request", "path")
    for name, value in values.items():
        param = params.get(("path", name))
        if param is None or STATE_EXPRESSION.match(value):
            continue
        label = f"path parameter {name}={value!r}"
        yield from check_value(spec, "crosscheck.path-parameter", label, param, value, where)


def check_query(spec: Spec, ex: Exchange, op: Operation) -> Iterator[Mismatch]:
    """Query parameters: documented, present when required, valid."""
    params = {key[1]: found for key, found in parameters(spec.document, op).items()}
    params = {name: p for name, p in params.items() if p[0].get("in") == "query"}
    base = child(ex.pointer, "request", "query")
    for name, values in ex.query.items():
        if name not in params:
            yield Mismatch("crosscheck.query", values[0][0], f"{op.label} has no query {name!r}")
            continue
        array = "array" in schema_types(spec, params[name][0].get("schema"))
        if len(values) > 1 and not array:
            yield Mismatch("crosscheck.query", values[1][0], f"query {name!r} given twice")
        value: Any = [v for _, v in values] if array and len(values) > 1 else values[0][1]
        if isinstance(value, list):
            schema = as_dict(resolve(spec.document, params[name][0].get("schema"), "")[0])
            value = [coerce(spec, schema.get("items"), v) for v in value]
        label = f"query {name}={values[0][1]!r}"
        yield from check_value(spec, "crosscheck.query", label, params[name], value, values[0][0])
    for name, (node, _pointer) in params.items():
        if node.get("required") is True and name not in ex.query:
            yield Mismatch("crosscheck.query", base, f"{op.label} requires query {name!r}")


def check_request_headers(spec: Spec, ex: Exchange, op: Operation) -> Iterator[Mismatch]:
    """Header parameters present when required and valid; the credential's scheme."""
    base = child(ex.pointer, "request", "headers")
    for (where, name), param in parameters(spec.document, op).items():
        if where != "header" or name in RESERVED_HEADERS:
            continue
        if name not in ex.request_headers:
            if param[0].get("required") is True:
                header_name = param[0]["name"]
                yield Mismatch(
                    "crosscheck.request-header",
                    base,
                    f"{op.label} requires the {header_name} header",
                )
            continue
        pointer, value = ex.request_headers[name]
        label = f"header {param[0]['name']}: {value!r}"
        yield from check_value(spec, "crosscheck.request-header", label, param, value, pointer)
    yield from check_credential(spec, ex, op)


def check_credential(spec: Spec, ex: Exchange, op: Operation) -> Iterator[Mismatch]:
    """An ``Authorization`` header uses a scheme the operation accepts (http schemes only)."""
    if "authorization" not in ex.request_headers:
        return
    requirement, _ = security_of(spec.document, op)
    schemes = as_dict(as_dict(spec.document.get("components")).get("securitySchemes"))
    wanted: set[str] = set()
    for alternative in requirement if isinstance(requirement, list) else []:
        for name in as_dict(alternative):
            scheme = as_dict(schemes.get(name))
            if scheme.get("type") != "http":
                return
            wanted.add(str(scheme.get("scheme", "")).lower())
    pointer, value = ex.request_headers["authorization"]
    used = value.split(" ", 1)[0].lower()
    if wanted and used not in wanted:
        allowed = " or ".join(sorted(s.capitalize() for s in wanted))
        yield Mismatch(
            "crosscheck.security", pointer, f"Authorization must be {allowed} <credential>"
        )


def original(pointer: str) -> str:
    """The unescaped last key of a JSON pointer (a header's name as the pact spells it)."""
    return pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def pick_media(content: dict[str, Any], media: str) -> str | None:
    """The key of ``content`` that ``media`` falls under (exact, ``type/*``, ``*/*``)."""
    keys = {media_type(key): key for key in content}
    for candidate in (media, media.split("/", maxsplit=1)[0] + "/*", "*/*"):
        if candidate in keys:
            return keys[candidate]
    return None


def check_body(
    spec: Spec, side: str, body: Body, owner: tuple[dict[str, Any], str], what: str
) -> Iterator[Mismatch]:
    """A body against the content a request body or response documents (``side``)."""
    node, pointer = owner
    content = as_dict(node.get("content"))
    if not content:
        yield Mismatch(
            f"crosscheck.{side}-body", body.pointer, f"{what}: the spec has no body here"
        )
        return
    key = pick_media(content, body.media)
    if key is None:
        documented = ", ".join(content)
        yield Mismatch(
            f"crosscheck.{side}-content-type",
            body.media_pointer,
            f"{what}: the spec documents {documented}, not {body.media}",
        )
        return
    if "schema" not in as_dict(content[key]):
        return
    schema_pointer = resolve(
        spec.document, content[key]["schema"], child(pointer, "content", key, "schema")
    )[1]
    for path, message, spec_pointer in spec.errors(schema_pointer, body.value):
        yield Mismatch(
            f"crosscheck.{side}-body",
            body.pointer + path,
            f"{what}: {message} (spec: {spec_pointer})",
        )


def check_request_body(spec: Spec, ex: Exchange, op: Operation) -> Iterator[Mismatch]:
    """A request body is sent when required, and fits the documented content."""
    owner = resolve(spec.document, op.node.get("requestBody"), child(op.pointer, "requestBody"))
    node = as_dict(owner[0])
    if ex.request_body is None:
        if node.get("required") is True:
            yield Mismatch(
                "crosscheck.request-body",
                child(ex.pointer, "request"),
                f"{op.label} requires a request body",
            )
        return
    yield from check_body(spec, "request", ex.request_body, (node, owner[1]), f"{op.label} request")


def find_response(spec: Spec, op: Operation, status: int) -> tuple[str, dict[str, Any], str] | None:
    """The response documented for a status: exact, then ``4XX``, then ``default``."""
    documented = {found[0].upper(): found for found in responses(spec.document, op)}
    for key in (str(status), f"{status // 100}XX", "DEFAULT"):
        if key in documented:
            return documented[key]
    return None


def check_response(spec: Spec, ex: Exchange, op: Operation) -> Iterator[Mismatch]:
    """The status is documented; its documented headers and body fit."""
    found = find_response(spec, op, ex.status)
    if found is None:
        codes = ", ".join(code for code, _n, _p in responses(spec.document, op))
        yield Mismatch(
            "crosscheck.status",
            child(ex.pointer, "response", "status"),
            f"{op.label} documents no {ex.status} response (it documents {codes})",
        )
        return
    code, node, pointer = found
    label = f"{op.label} {code}"
    documented = {name.lower(): name for name in as_dict(node.get("headers"))}
    for name, (where, value) in ex.response_headers.items():
        if name == "content-type" or (name in GENERIC_HEADERS and name not in documented):
            continue
        if name not in documented:
            yield Mismatch(
                "crosscheck.response-header",
                where,
                f"{label} response: the spec documents no {original(where)} header",
            )
            continue
        key = documented[name]
        header = resolve(spec.document, node["headers"][key], child(pointer, "headers", key))
        if isinstance(header[0], dict):
            yield from check_value(
                spec,
                "crosscheck.response-header",
                f"{label} response header {key}: {value!r}",
                header,
                value,
                where,
            )
    if ex.response_body is not None:
        what = f"{label} response"
        yield from check_body(spec, "response", ex.response_body, (node, pointer), what)


def check_exchange(spec: Spec, ex: Exchange) -> list[Mismatch]:
    """Every way one exchange breaks the spec."""
    found: list[Mismatch] = [
        Mismatch("crosscheck.provider-state", pointer, f"unknown provider state {name!r}")
        for pointer, name in ex.states
        if name not in spec.states
    ]
    target = find_operation(spec, ex)
    if isinstance(target, Mismatch):
        return [*found, target]
    op, values = target
    request = [
        *check_path(spec, ex, op, values),
        *check_query(spec, ex, op),
        *check_request_headers(spec, ex, op),
        *check_request_body(spec, ex, op),
    ]
    if not 400 <= ex.status < 500:
        found += request
    return found + list(check_response(spec, ex, op))


# The step --------------------------------------------------------------------------


def pact_files(pacts: Path) -> list[Path]:
    """The pact files to check: ``pacts`` itself, or every ``*.json`` below it."""
    if pacts.is_file():
        return [pacts]
    if not pacts.is_dir():
        raise UsageError(f"{pacts}: no such pact directory")
    files = sorted(path for path in pacts.rglob("*.json") if path.is_file())
    if not files:
        raise UsageError(f"{pacts}: no pact files (*.json) found")
    return files


def check_pact(spec: Spec, path: Path) -> tuple[int, list[tuple[str, Mismatch]]]:
    """``(interactions checked, [(interaction description, mismatch)])`` for one file."""
    try:
        pact = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return 0, [("", Mismatch("crosscheck.pact-file", "", f"cannot read it: {exc}"))]
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return 0, [
            ("", Mismatch("crosscheck.pact-file", "", f"not valid JSON at {where}: {exc.msg}"))
        ]
    interactions = as_dict(pact).get("interactions")
    if not isinstance(interactions, list):
        kind = "a message pact" if "messages" in as_dict(pact) else "not a pact"
        return 0, [("", Mismatch("crosscheck.pact-file", "", f"{kind}: no HTTP interactions list"))]
    v4 = pact_version(pact) >= 4
    found: list[tuple[str, Mismatch]] = []
    for index, raw in enumerate(interactions):
        pointer = child("/interactions", index)
        description = str(as_dict(raw).get("description", pointer))
        try:
            exchange = read_exchange(raw, pointer, v4)
        except BadPact as exc:
            found.append((description, Mismatch("crosscheck.interaction", exc.pointer, str(exc))))
            continue
        found += [(description, mismatch) for mismatch in check_exchange(spec, exchange)]
    return len(interactions), found


def load(spec_path: Path) -> Spec:
    """The spec, valid OpenAPI 3.1, or a usage error."""
    try:
        return Spec(load_spec(spec_path))
    except Unresolvable as exc:
        raise UsageError(f"{spec_path}: cannot resolve $ref {exc.ref!r}") from None


def run_crosscheck(pacts_dir: Path, spec_path: Path) -> StepResult:
    """Check every pact file under ``pacts_dir`` (or that one file) against the spec."""
    started = time.perf_counter()
    spec = load(spec_path)
    files = pact_files(pacts_dir)
    findings: list[Finding] = []
    total = 0
    for path in files:
        count, found = check_pact(spec, path)
        total += count
        for description, mismatch in found:
            about = f'"{description}": ' if description else ""
            findings.append(
                Finding(
                    rule=mismatch.rule,
                    message=about + mismatch.message,
                    where=f"{path}#{mismatch.pointer}" if mismatch.pointer else str(path),
                    reproduce=f"threadpact crosscheck --pacts {path} --spec {spec_path}",
                )
            )
    scope = f"{total} interaction(s) in {len(files)} pact file(s)"
    return StepResult(
        name="crosscheck",
        status="failed" if findings else "passed",
        seconds=time.perf_counter() - started,
        summary=f"{scope}: {len(findings)} finding(s)"
        if findings
        else f"{scope}: all legal under {spec_path.name}",
        findings=findings,
    )
