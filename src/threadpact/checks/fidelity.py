"""Writes keep what was sent: a valid create or update reads back exactly as sent.

Every field of the request body comes back unchanged in the answer and in a read of
the resource: not cut, trimmed, re-cased or Unicode-normalised; a field left out comes
back as the spec's ``default`` for it, if it declares one. Besides the engine's own
create, the rule sends a create whose strings are the longest the spec allows, padded
with spaces and carrying decomposed accents; a create with only the required fields;
and an update of the same kind through every body-carrying change the answer links to.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import KeyedCreate, created
from threadpact.checks.exchange import Exchange, build, evidence, reproduce, send
from threadpact.checks.failures import WRITE_FIDELITY, WriteNotKept
from threadpact.checks.reading import read_back
from threadpact.checks.resources import NOT_FOUND, item_targets, request_to, takes_the_id
from threadpact.checks.spec import body_schema, idempotency_parameter, is_valid_body, view_of
from threadpact.checks.types import AnyCase, Response
from threadpact.openapi import as_dict
from threadpact.pointers import value_at

LENGTHS = (32000, 4096, 1024, 255, 200, 100, 64, 32, 16, 8)
"""Lengths a stress string tries, longest first; the first the spec accepts is sent."""
CHANGES = frozenset({"PATCH", "PUT"})
LEFT = "left to id-authority"


def properties(case: AnyCase) -> dict[str, dict[str, Any]]:
    """The request body schema's properties (each as written, ``$ref`` and all)."""
    pointer = body_schema(case.operation, case.media_type)
    if pointer is None:
        return {}
    spec = view_of(case.operation).spec
    schema = as_dict(spec.resolve(value_at(spec.document, pointer)).value)
    return {str(name): as_dict(node) for name, node in as_dict(schema.get("properties")).items()}


def defaults(case: AnyCase) -> dict[str, Any]:
    """The ``default`` the spec declares for each body property that has one."""
    spec = view_of(case.operation).spec
    found = {}
    for name, node in properties(case).items():
        for candidate in (node, as_dict(spec.resolve(node).value)):
            if "default" in candidate:
                found[name] = candidate["default"]
                break
    return found


def required(case: AnyCase) -> set[str]:
    """The body properties the spec requires."""
    pointer = body_schema(case.operation, case.media_type)
    spec = view_of(case.operation).spec
    schema = spec.resolve(value_at(spec.document, pointer)).value if pointer else None
    return {str(name) for name in as_dict(schema).get("required") or []}


def stress_strings(marker: str) -> Iterator[str]:
    """Strings a store might cut, trim or normalise: spaces at both ends, decomposed accents."""
    core = f"{marker} Mixed CASE  e\u0301 A\u030a \u00df \u201cq\u201d \u2126 "
    for length in LENGTHS:
        text = (" " + core * (length // len(core) + 1))[: length - 1] + " "
        yield text


def stressed(case: AnyCase, body: Any) -> dict[str, Any] | None:
    """``body`` with each string property as long and odd as the spec allows."""
    if not isinstance(body, dict):
        return None
    result = dict(body)
    marker = uuid.uuid4().hex[:12]
    for name in properties(case):
        if name in body and not isinstance(body[name], str):
            continue
        for text in stress_strings(marker):
            candidate = {**result, name: text}
            if is_valid_body(case, candidate):
                result = candidate
                break
    return result if result != body else None


def not_kept(case: AnyCase, sent: Any, answer: Any, where: str) -> list[str]:
    """Where ``answer`` differs from what was sent, or from the spec's defaults."""
    if not isinstance(sent, dict) or not isinstance(answer, dict):
        return []
    problems = [
        f"{where}: {name} was sent as {value!r:.80}, came back as {answer[name]!r:.80}"
        for name, value in sent.items()
        if name in answer and answer[name] != value
    ]
    problems += [
        f"{where}: {name} was left out and came back as {answer[name]!r:.80}, "
        f"not the spec's default {default!r}"
        for name, default in defaults(case).items()
        if name not in sent and name in answer and answer[name] != default
    ]
    return problems


def examine(write: Exchange, read: Exchange | None) -> list[str]:
    """What a write's answer and a read after it did not keep."""
    if not write.ok:
        return [f"{write.purpose}: a valid body answered {write.status}"]
    sent = write.case.body
    problems = not_kept(write.case, sent, write.json(), f"{write.purpose}, its answer")
    if read is not None and read.status == 200:
        problems += not_kept(write.case, sent, read.json(), f"{write.purpose}, read back")
    return problems


def reread(create: KeyedCreate, origin: Exchange) -> Exchange | None:
    """A read of the resource a write made or changed (through ``origin``'s links)."""
    state = create.state
    return read_back(
        origin.case, origin.response, create.id_pointer, state.owner, state, "read it back"
    )


def update_probes(create: KeyedCreate, own: Exchange) -> list[tuple[Exchange, Exchange | None]]:
    """A stressed change through every body-carrying change the answer links to."""
    done = []
    for target in item_targets(own):
        method = target.operation.method.upper()
        if method not in CHANGES or not takes_the_id(target, create.id_pointer):
            continue
        if idempotency_parameter(target.operation) is not None:
            continue
        request = request_to(own, target, create.state.owner, create.state)
        body = stressed(request, request.body) if request is not None else None
        if request is None or body is None:
            continue
        update = send(f"change it: {target.operation.label}", build(request, body=body))
        done.append((update, reread(create, own) if update.ok else None))
    return done


@schemathesis.check
def write_fidelity(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """A valid create or update answers and reads back exactly what was sent."""
    create = created(case, response, WRITE_FIDELITY)
    if create is None:
        return True
    writes: list[tuple[Exchange, Exchange | None]] = [(create.first, reread(create, create.first))]
    body = stressed(case, case.body)
    if body is not None:
        own = create.another("a create with long, padded, accented strings", body=body)
        if own is not None:
            writes.append((own, reread(create, own) if own.ok else None))
            writes += update_probes(create, own) if own.ok else []
    names = required(case)
    if isinstance(case.body, dict) and set(case.body) - names:
        minimal = {k: v for k, v in case.body.items() if k in names}
        few = create.another("a create with only the required fields", body=minimal)
        if few is not None:
            writes.append((few, reread(create, few) if few.ok else None))
    if any(read is not None and read.status == NOT_FOUND for _, read in writes):
        create.state.note(f"{create.label}: an answered ID does not read back; {LEFT}")
        return True
    problems = [p for write, read in writes for p in examine(write, read)]
    if problems and not create.disturbed():
        shown = [e for pair in writes for e in pair if e is not None]
        raise WriteNotKept(
            operation=create.label,
            summary=f"A write did not keep what was sent: {'; '.join(problems)}.",
            evidence=evidence(shown),
            reproduce=reproduce(shown),
        )
    return None
