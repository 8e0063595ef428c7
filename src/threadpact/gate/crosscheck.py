"""The ``crosscheck`` step: every pact interaction is a legal exchange under the spec.

Bi-directional contract testing without a broker: the consumer's pact files (V2, V3
or V4, from any pact library, read by :mod:`threadpact.pacts`) are checked against
the spec alone, with no provider running. For each HTTP interaction, the example
values the pact records (what the consumer sends, and what it expects back) must be
allowed by the spec: the path and method, path, query and header parameters, the
request body, the status, the response headers the spec documents, and the response
body for its content type (:class:`threadpact.openapi.SchemaChecker`).

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

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from referencing.exceptions import Unresolvable

from threadpact.errors import UsageError
from threadpact.gate.report import Finding, StepResult
from threadpact.names import PROVIDER_STATES
from threadpact.openapi import Located, Operation, SchemaChecker, Spec, as_dict, load_spec
from threadpact.pacts import Body, Interaction, find_pacts, media_type, read_pact
from threadpact.pointers import child

STATE_EXPRESSION = re.compile(r"^\$\{[^}]+\}$")
# Headers any HTTP response may carry without the spec documenting them.
GENERIC_HEADERS = frozenset(
    {"content-length", "date", "server", "connection", "transfer-encoding", "vary"}
    | {"cache-control", "keep-alive", "content-encoding", "access-control-allow-origin"}
)
# Request headers OpenAPI describes elsewhere (content, security), never as parameters.
RESERVED_HEADERS = frozenset({"accept", "content-type", "authorization"})


@dataclass(frozen=True)
class Mismatch:
    """One way an interaction breaks the spec, located in the pact file."""

    rule: str
    pointer: str
    message: str


@dataclass
class Target:
    """The spec the pacts are checked against, with its validators and provider states."""

    spec: Spec
    schemas: SchemaChecker = field(init=False)
    states: set[str] = field(init=False)

    def __post_init__(self) -> None:
        self.schemas = SchemaChecker(self.spec)
        declared = self.spec.document.get("x-provider-states")
        self.states = (
            {str(as_dict(s).get("name", s)) for s in declared}
            if isinstance(declared, list)
            else set(PROVIDER_STATES)
        )


# Values ------------------------------------------------------------------------------


def coerce(spec: Spec, schema: Any, text: str) -> Any:
    """A parameter's text as the JSON value its schema expects, when it can be one."""
    types = spec.shape(schema).types
    if not types or "string" in types:
        return text
    if "integer" in types and re.fullmatch(r"-?\d+", text):
        return int(text)
    if "number" in types and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text):
        return float(text)
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if "array" in types:
        items = as_dict(spec.resolve(schema).value).get("items")
        return [coerce(spec, items, part) for part in text.split(",")]
    return text


def check_value(
    target: Target, rule: str, label: str, param: Located[dict[str, Any]], value: Any, where: str
) -> Iterator[Mismatch]:
    """A parameter or header value against its schema."""
    if "schema" not in param.value:
        return
    schema = target.spec.resolve(param.value["schema"], child(param.pointer, "schema"))
    if isinstance(value, str):
        value = coerce(target.spec, schema.value, value)
    for _path, message, spec_pointer in target.schemas.errors(schema.pointer, value):
        yield Mismatch(rule, where, f"{label}: {message} (spec: {spec_pointer})")


# Requests ----------------------------------------------------------------------------


def find_operation(spec: Spec, ex: Interaction) -> tuple[Operation, dict[str, str]] | Mismatch:
    """The operation an interaction calls, with its raw path parameter values."""
    matched = []
    for prefix in spec.path_prefixes:
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
    target: Target, ex: Interaction, op: Operation, values: dict[str, str]
) -> Iterator[Mismatch]:
    """Path parameter values against their schemas."""
    params = target.spec.parameters(op)
    where = child(ex.pointer, "request", "path")
    for name, value in values.items():
        param = params.get(("path", name))
        if param is None or STATE_EXPRESSION.match(value):
            continue
        label = f"path parameter {name}={value!r}"
        yield from check_value(target, "crosscheck.path-parameter", label, param, value, where)


def check_query(target: Target, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """Query parameters: documented, present when required, valid."""
    spec = target.spec
    params = {
        key[1]: found
        for key, found in spec.parameters(op).items()
        if found.value.get("in") == "query"
    }
    base = child(ex.pointer, "request", "query")
    for name, values in ex.query.items():
        if name not in params:
            yield Mismatch("crosscheck.query", values[0][0], f"{op.label} has no query {name!r}")
            continue
        schema = params[name].value.get("schema")
        array = "array" in spec.shape(schema).types
        if len(values) > 1 and not array:
            yield Mismatch("crosscheck.query", values[1][0], f"query {name!r} given twice")
        value: Any = [v for _, v in values] if array and len(values) > 1 else values[0][1]
        if isinstance(value, list):
            items = as_dict(spec.resolve(schema).value).get("items")
            value = [coerce(spec, items, v) for v in value]
        label = f"query {name}={values[0][1]!r}"
        yield from check_value(target, "crosscheck.query", label, params[name], value, values[0][0])
    for name, param in params.items():
        if param.value.get("required") is True and name not in ex.query:
            yield Mismatch("crosscheck.query", base, f"{op.label} requires query {name!r}")


def check_request_headers(target: Target, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """Header parameters present when required and valid; the credential's scheme."""
    base = child(ex.pointer, "request", "headers")
    for (where, name), param in target.spec.parameters(op).items():
        if where != "header" or name in RESERVED_HEADERS:
            continue
        if name not in ex.request_headers:
            if param.value.get("required") is True:
                yield Mismatch(
                    "crosscheck.request-header",
                    base,
                    f"{op.label} requires the {param.value['name']} header",
                )
            continue
        pointer, value = ex.request_headers[name]
        label = f"header {param.value['name']}: {value!r}"
        yield from check_value(target, "crosscheck.request-header", label, param, value, pointer)
    yield from check_credential(target.spec, ex, op)


def check_credential(spec: Spec, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """An ``Authorization`` header uses a scheme the operation accepts (http schemes only)."""
    if "authorization" not in ex.request_headers:
        return
    requirement = spec.security(op).value
    schemes = spec.component("securitySchemes")
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


# Bodies and responses ----------------------------------------------------------------


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
    target: Target, side: str, body: Body, owner: Located[dict[str, Any]], what: str
) -> Iterator[Mismatch]:
    """A body against the content a request body or response documents (``side``)."""
    content = as_dict(owner.value.get("content"))
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
    schema = target.spec.schema_of(owner, key)
    for path, message, spec_pointer in target.schemas.errors(schema.pointer, body.value):
        yield Mismatch(
            f"crosscheck.{side}-body",
            body.pointer + path,
            f"{what}: {message} (spec: {spec_pointer})",
        )


def check_request_body(target: Target, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """A request body is sent when required, and fits the documented content."""
    owner = target.spec.request_body(op)
    if ex.request_body is None:
        if owner.value.get("required") is True:
            yield Mismatch(
                "crosscheck.request-body",
                child(ex.pointer, "request"),
                f"{op.label} requires a request body",
            )
        return
    yield from check_body(target, "request", ex.request_body, owner, f"{op.label} request")


def find_response(
    spec: Spec, op: Operation, status: int
) -> tuple[str, Located[dict[str, Any]]] | None:
    """The response documented for a status: exact, then ``4XX``, then ``default``."""
    documented = {code.upper(): (code, found) for code, found in spec.responses(op)}
    for key in (str(status), f"{status // 100}XX", "DEFAULT"):
        if key in documented:
            return documented[key]
    return None


def check_response(target: Target, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """The status is documented; its documented headers and body fit."""
    spec = target.spec
    found = find_response(spec, op, ex.status)
    if found is None:
        codes = ", ".join(code for code, _response in spec.responses(op))
        yield Mismatch(
            "crosscheck.status",
            child(ex.pointer, "response", "status"),
            f"{op.label} documents no {ex.status} response (it documents {codes})",
        )
        return
    code, response = found
    label = f"{op.label} {code}"
    documented = {name.lower(): name for name in as_dict(response.value.get("headers"))}
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
        header = spec.resolve(
            response.value["headers"][key], child(response.pointer, "headers", key)
        )
        if isinstance(header.value, dict):
            yield from check_value(
                target,
                "crosscheck.response-header",
                f"{label} response header {key}: {value!r}",
                Located(header.value, header.pointer),
                value,
                where,
            )
    if ex.response_body is not None:
        yield from check_body(target, "response", ex.response_body, response, f"{label} response")


def check_interaction(target: Target, ex: Interaction) -> list[Mismatch]:
    """Every way one interaction breaks the spec."""
    found: list[Mismatch] = [
        Mismatch("crosscheck.provider-state", pointer, f"unknown provider state {name!r}")
        for pointer, name in ex.states
        if name not in target.states
    ]
    operation = find_operation(target.spec, ex)
    if isinstance(operation, Mismatch):
        return [*found, operation]
    op, values = operation
    request = [
        *check_path(target, ex, op, values),
        *check_query(target, ex, op),
        *check_request_headers(target, ex, op),
        *check_request_body(target, ex, op),
    ]
    if not 400 <= ex.status < 500:
        found += request
    return found + list(check_response(target, ex, op))


# The step ----------------------------------------------------------------------------


def check_pact(target: Target, path: Path) -> tuple[int, list[tuple[str, Mismatch]]]:
    """``(interactions checked, [(interaction description, mismatch)])`` for one file."""
    pact = read_pact(path)
    found = [
        (
            description,
            Mismatch(
                "crosscheck.interaction" if description else "crosscheck.pact-file",
                problem.pointer,
                str(problem),
            ),
        )
        for description, problem in pact.problems
    ]
    for interaction in pact.interactions:
        found += [
            (interaction.description, mismatch)
            for mismatch in check_interaction(target, interaction)
        ]
    found.sort(key=lambda item: _order(item[1].pointer))
    return pact.count, found


def _order(pointer: str) -> int:
    """The interaction index a pointer is under, to report in file order."""
    parts = pointer.split("/")
    return int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else -1


def load(spec_path: Path) -> Target:
    """The spec, valid OpenAPI 3.1, or a usage error."""
    try:
        return Target(Spec(load_spec(spec_path)))
    except Unresolvable as exc:
        raise UsageError(f"{spec_path}: cannot resolve $ref {exc.ref!r}") from None


def run_crosscheck(pacts_dir: Path, spec_path: Path) -> StepResult:
    """Check every pact file under ``pacts_dir`` (or that one file) against the spec."""
    started = time.perf_counter()
    target = load(spec_path)
    files = find_pacts(pacts_dir)
    findings: list[Finding] = []
    total = 0
    for path in files:
        count, found = check_pact(target, path)
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
