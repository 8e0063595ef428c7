"""Which statement of the spec each finding enforces, as a JSON pointer into the spec.

Contract rules map to the spec text that states them (:data:`RULE_STATEMENTS`, read
from this repository's ``openapi.yaml``). Stock schemathesis checks point at the part
of the failing operation they hold the provider to: its responses, the response
documented for the status it answered, that response's schema, headers or media
types, or a required parameter. A pointer the spec does not have is not reported.
"""

import re
from typing import Any

from threadpact.checks import CONTRACT_RULES
from threadpact.openapi import Operation, Spec
from threadpact.pointers import child, value_at

RULE_STATEMENTS: dict[str, str] = {
    # "Missing or malformed: 400."
    "idempotency.missing-key": "/components/parameters/IdempotencyKey/description",
    # "a replay with the same key and body answers the same 201 and the same body with
    # `Idempotent-Replayed: true`"
    "idempotency.replay": "/paths/~1threads/post/description",
    # "... or the Idempotency-Key was already used with another body" (422)
    "idempotency.mismatch": "/components/responses/Unprocessable/description",
    # "A request with the same Idempotency-Key is still in flight." (409, never two)
    "idempotency.concurrency": "/components/responses/Conflict/description",
    # "Scoped to the caller."
    "idempotency.principal-scope": "/components/parameters/IdempotencyKey/description",
    # "The path of the created thread, `/threads/{id}`, naming the `id` in the body."
    "id-authority": "/components/headers/ThreadLocation/description",
    # "No such resource for the caller (missing, deleted, someone else's, ...)"
    "access.object-level": "/components/responses/NotFound/description",
    # "List the caller's threads, newest first."
    "access.collection-scope": "/paths/~1threads/get/summary",
    # "With `If-Match`, the change applies only if the thread's current `ETag` matches"
    "conditional-update": "/paths/~1threads~1{thread_id}/patch/description",
    # "The changed thread, with its new `ETag`."
    "write-fidelity": "/paths/~1threads~1{thread_id}/patch/responses/200/description",
    # "Afterwards GET, PATCH and DELETE of this thread answer 404."
    "deletion": "/paths/~1threads~1{thread_id}/delete/description",
    # "... in the order they were created, newest first ..."
    "pagination.order": "/paths/~1threads/get/description",
    # "... every item shows exactly once ..."
    "pagination.exactly-once": "/paths/~1threads/get/responses/200/description",
    # the page-size parameter's default
    "pagination.default-limit": "/components/parameters/Limit/schema/default",
    # "A cursor the server did not make answers 400."
    "pagination.foreign-cursor": "/components/parameters/Cursor/description",
    # "Times are RFC 3339 ... in UTC."
    "timestamps.utc": "/info/description",
}
"""Contract rule -> the spec text it enforces (a JSON pointer into ``openapi.yaml``)."""

_HEADER = re.compile(r"required '([^']+)' header")


def _operation(spec: Spec, label: str) -> Operation | None:
    method, _, path = label.partition(" ")
    return spec.find(method, path)


def _response(spec: Spec, op: Operation, status: int | None) -> tuple[str, dict[str, Any]] | None:
    found = spec.response_for(op, status) if status is not None else None
    return (found[1].pointer, found[1].value) if found is not None else None


def stock_statement(
    spec: Spec, rule: str, label: str, status: int | None = None, message: str = ""
) -> str:
    """The part of the operation a stock check held the provider to; "" if unknown."""
    op = _operation(spec, label)
    if op is None:
        return ""
    response = _response(spec, op, status)
    if rule == "missing_required_header":
        named = _HEADER.search(message)
        param = spec.parameters(op).get(("header", named.group(1).lower())) if named else None
        return param.pointer if param is not None else op.pointer
    if rule == "ignored_auth":
        return spec.security(op).pointer
    if rule in ("not_a_server_error", "status_code_conformance", "use_after_free"):
        return child(op.pointer, "responses")
    if response is None:
        return op.pointer
    pointer, value = response
    if rule == "response_schema_conformance":
        content = value.get("content")
        media = next(iter(content), None) if isinstance(content, dict) else None
        return child(pointer, "content", media, "schema") if media else pointer
    if rule == "content_type_conformance":
        return child(pointer, "content")
    if rule == "response_headers_conformance":
        return child(pointer, "headers")
    return op.pointer


def statement_for(
    spec: Spec, rule: str, label: str, status: int | None = None, message: str = ""
) -> str:
    """The pointer of the statement a finding enforces, if the spec has it ("" if not)."""
    pointer = RULE_STATEMENTS.get(rule)
    if pointer is None and rule not in CONTRACT_RULES:
        pointer = stock_statement(spec, rule, label, status, message)
    return pointer if pointer and value_at(spec.document, pointer) is not None else ""
