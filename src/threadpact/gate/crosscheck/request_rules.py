"""The crosscheck rules for what the consumer sends: path, method, parameters, body."""

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from threadpact.gate.crosscheck.security_rules import query_credentials
from threadpact.gate.crosscheck.target import Mismatch, Target, check_body, check_value, coerce
from threadpact.openapi import Operation, Spec, as_dict
from threadpact.pacts import Interaction
from threadpact.pointers import child

STATE_EXPRESSION = re.compile(r"^\$\{[^}]+\}$")
# Request headers OpenAPI describes elsewhere (content, security), never as parameters.
RESERVED_HEADERS = frozenset({"accept", "content-type", "authorization"})


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
    """Query parameters: documented, present when required, valid.

    An API key the operation's security takes in the query is a credential, not a
    parameter: :mod:`.security_rules` judges it.
    """
    spec = target.spec
    credentials = query_credentials(spec, op)
    params = {
        key[1]: found
        for key, found in spec.parameters(op).items()
        if found.value.get("in") == "query"
    }
    base = child(ex.pointer, "request", "query")
    for name, values in ex.query.items():
        if name in credentials and name not in params:
            continue
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
