"""Idempotent creates, for every operation that declares an Idempotency-Key header.

Rules: a missing key is a 400; a replay answers the same again, marked as a replay; the
same key with another body is a 422; a burst of requests with one key makes one
resource and no 5xx; one principal's key never reaches another principal's resource.
"""

import uuid
from collections.abc import Sequence

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import KeyedCreate, created
from threadpact.checks.exchange import Exchange, build, burst, evidence, reproduce, send
from threadpact.checks.failures import (
    CONCURRENCY,
    MISMATCH,
    MISSING_KEY,
    PRINCIPAL_SCOPE,
    REPLAY,
    ConcurrentDuplicates,
    KeyCrossesPrincipals,
    MismatchAccepted,
    MissingKeyAccepted,
    ReplayDiffers,
)
from threadpact.checks.spec import marked_body, other_body
from threadpact.checks.types import AnyCase, Response
from threadpact.names import IDEMPOTENT_REPLAYED

NEEDS_TWO_TOKENS = "{rule} needs a second --token (principal B): skipped"


@schemathesis.check
def idempotency_missing_key(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """The same create without the key answers 400."""
    create = created(case, response, MISSING_KEY)
    if create is None:
        return True
    probe = send(f"the same request without {create.key_header}", create.again(key=None))
    if probe.status != 400 and not create.disturbed():
        raise MissingKeyAccepted(
            operation=create.label,
            summary=f"A create without {create.key_header} answered {probe.status}; "
            "the contract says 400.",
            evidence=evidence([probe]),
            reproduce=probe.curl(),
        )
    return None


def replay_problems(first: Exchange, replay: Exchange, id_pointer: str) -> list[str]:
    """How a replay differs from what the contract asks."""
    problems = []
    if first.header(IDEMPOTENT_REPLAYED) is not None:
        problems.append(f"the first answer already says {IDEMPOTENT_REPLAYED}")
    if replay.status != first.status:
        problems.append(f"it answered {replay.status}, the first request {first.status}")
    elif replay.response.content != first.response.content:
        first_id, replay_id = first.value(id_pointer), replay.value(id_pointer)
        if first_id != replay_id:
            problems.append(f"it made a second resource ({replay_id}; the first is {first_id})")
        else:
            problems.append("its body differs from the first answer's")
    if replay.header(IDEMPOTENT_REPLAYED) != "true":
        problems.append(f"it lacks `{IDEMPOTENT_REPLAYED}: true`")
    return problems


@schemathesis.check
def idempotency_replay(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """The same create again answers the same status and body, plus Idempotent-Replayed."""
    create = created(case, response, REPLAY)
    if create is None:
        return True
    replay = send("the same request again: same key, same body", create.again())
    problems = replay_problems(create.first, replay, create.id_pointer)
    if problems and not create.disturbed():
        raise ReplayDiffers(
            operation=create.label,
            summary=f"A replay with the same key and body broke the rule: {'; '.join(problems)}.",
            evidence=evidence([create.first, replay]),
            reproduce=reproduce([create.first, replay]),
        )
    return None


@schemathesis.check
def idempotency_mismatch(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """The same key with another body answers 422."""
    create = created(case, response, MISMATCH)
    if create is None:
        return True
    body = other_body(case)
    if body is None:
        create.state.note(f"{MISMATCH}: no second valid body for {create.label}; not checked")
        return True
    probe = send("the same key with another body", create.again(body=body))
    if probe.status != 422 and not create.disturbed():
        same = probe.ok and probe.value(create.id_pointer) == create.resource_id
        detail = " with the first request's resource" if same else ""
        raise MismatchAccepted(
            operation=create.label,
            summary=f"The same key with another body answered {probe.status}{detail}; "
            "the contract says 422.",
            evidence=evidence([create.first, probe]),
            reproduce=reproduce([create.first, probe]),
        )
    return None


def listed(create: KeyedCreate) -> Exchange | None:
    """The owner's list of the collection the create adds to, if the spec has one."""
    operation = create.case.operation.schema.find_operation_by_label(f"GET {create.case.path}")
    if operation is None:
        return None
    return send(
        "list the collection",
        build(create.case, operation=operation, path_parameters=dict(create.case.path_parameters)),
    )


def count_marked(page: Exchange, field: str, marker: str) -> int:
    """How many listed items carry ``marker`` in ``field``."""
    body = page.json()
    items = body if isinstance(body, list) else None
    if isinstance(body, dict):
        items = next((value for value in body.values() if isinstance(value, list)), None)
    return sum(1 for item in items or [] if isinstance(item, dict) and item.get(field) == marker)


def burst_problems(create: KeyedCreate, answers: Sequence[Exchange]) -> list[str]:
    """How a burst of requests with one key broke the rule."""
    problems = []
    errors = [answer.status for answer in answers if answer.status >= 500]
    if errors:
        problems.append(f"{len(errors)} answered 5xx ({', '.join(map(str, errors))})")
    wrong = [a.status for a in answers if not a.ok and a.status != 409 and a.status < 500]
    if wrong:
        problems.append(f"{len(wrong)} answered {', '.join(map(str, wrong))} (expected 2xx or 409)")
    ids = {str(answer.value(create.id_pointer)) for answer in answers if answer.ok}
    if len(ids) > 1:
        shown = ", ".join(sorted(ids)[:3]) + (", ..." if len(ids) > 3 else "")
        problems.append(f"they made {len(ids)} resources: {shown}")
    if not any(answer.ok for answer in answers):
        problems.append("none of them succeeded")
    return problems


@schemathesis.check
def idempotency_concurrency(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Concurrent requests with one key make exactly one resource, and none answers 5xx."""
    create = created(case, response, CONCURRENCY)
    if create is None:
        return True
    key = create.fresh_key()
    if key is None:
        create.state.note(f"{CONCURRENCY}: the spec's key schema refuses every fresh key")
        return True
    marker = f"burst-{uuid.uuid4().hex[:12]}"
    marked = marked_body(case, marker)
    body, field = marked if marked is not None else (case.body, "")
    cases = [create.again(key=key, body=body) for _ in range(create.state.burst)]
    answers = burst(f"one of {len(cases)} concurrent requests with one key", cases)
    problems = burst_problems(create, answers)
    shown = answers[:2] + [answer for answer in answers[2:] if answer.status >= 500][:1]
    page = listed(create) if field and not problems else None
    count = count_marked(page, field, marker) if page is not None else 0
    if page is not None and count > 1:
        problems.append(f"the list shows {count} resources with {field}={marker!r}")
        shown.append(page)
    if problems and not create.disturbed():
        first_curl = answers[0].curl().replace(f"'{create.key_header}: {key}'", '"$KEY"')
        raise ConcurrentDuplicates(
            operation=create.label,
            summary=f"{len(answers)} concurrent requests with one key broke the rule: "
            f"{'; '.join(problems)}.",
            evidence=evidence(shown),
            reproduce=f'KEY="{create.key_header}: fresh-$RANDOM$RANDOM"; '
            f"for i in $(seq {len(answers)}); do {first_curl} & done; wait",
        )
    return None


def _reached_owner(create: KeyedCreate, probe: Exchange) -> bool:
    if not probe.ok:
        return False
    location = create.first.header("location")
    return bool(
        probe.value(create.id_pointer) == create.resource_id
        or (location is not None and probe.header("location") == location)
    )


def scope_problems(create: KeyedCreate, probe: Exchange, check: Exchange) -> list[str]:
    """How principal B's use of A's key broke the rule."""
    problems = []
    if _reached_owner(create, probe):
        problems.append(f"B got A's resource ({create.resource_id})")
    elif probe.ok and probe.header(IDEMPOTENT_REPLAYED) is not None:
        problems.append(f"B's first use of the key says {IDEMPOTENT_REPLAYED}")
    if probe.status in (409, 422):
        problems.append(f"B's request collided with A's key ({probe.status})")
    if probe.status >= 500:
        problems.append(f"B's request answered {probe.status}")
    b_id = probe.value(create.id_pointer) if probe.ok else None
    a_now = check.value(create.id_pointer) if check.ok else None
    if b_id is not None and a_now == b_id != create.resource_id:
        problems.append(f"A's key now names B's resource ({b_id})")
    return problems


@schemathesis.check
def idempotency_principal_scope(
    _ctx: CheckContext, response: Response, case: AnyCase
) -> bool | None:
    """Principal B reusing A's key never gets A's resource, and A's key still names A's."""
    create = created(case, response, PRINCIPAL_SCOPE)
    if create is None:
        return True
    if create.state.other is None:
        create.state.note(NEEDS_TWO_TOKENS.format(rule=PRINCIPAL_SCOPE))
        return True
    probe = send("principal B: the same key and body", create.again(as_other=True))
    check = send("principal A: the same request again", create.again())
    problems = scope_problems(create, probe, check)
    if problems and not create.disturbed():
        raise KeyCrossesPrincipals(
            operation=create.label,
            summary="A key used by principal A and reused by B broke the rule: "
            f"{'; '.join(problems)}.",
            evidence=evidence([create.first, probe, check]),
            reproduce=reproduce([create.first, probe, check]),
        )
    return None
