"""The crosscheck rules for what the consumer expects back: status, headers, body."""

from collections.abc import Iterator

from threadpact.gate.crosscheck.target import Mismatch, Target, check_body, check_value
from threadpact.openapi import Located, Operation, as_dict
from threadpact.pacts import Interaction
from threadpact.pointers import child

# Headers any HTTP response may carry without the spec documenting them.
GENERIC_HEADERS = frozenset(
    {"content-length", "date", "server", "connection", "transfer-encoding", "vary"}
    | {"cache-control", "keep-alive", "content-encoding", "access-control-allow-origin"}
)


def original(pointer: str) -> str:
    """The unescaped last key of a JSON pointer (a header's name as the pact spells it)."""
    return pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def check_response(target: Target, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """The status is documented; its documented headers and body fit."""
    spec = target.spec
    found = spec.response_for(op, ex.status)
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
