"""Object-level access: another principal cannot read, change or delete a resource.

The operations come from the spec's links on the create's answer (everything that takes
the created ID). Principal B calling each of them answers 404, exactly as for a missing
resource, and afterwards A's resource reads back unchanged.
"""

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import created
from threadpact.checks.exchange import Exchange, evidence, reproduce, same_json, send
from threadpact.checks.failures import OBJECT_LEVEL, ObjectLevelAccess
from threadpact.checks.idempotency import NEEDS_TWO_TOKENS
from threadpact.checks.links import LinkTarget, link_targets
from threadpact.checks.reading import read_back, target_case
from threadpact.checks.types import AnyCase, Response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def order(target: LinkTarget) -> int:
    """Reads first, deletes last, so every request meets the resource still there."""
    method = target.operation.method.upper()
    return 0 if method in SAFE_METHODS else 2 if method == "DELETE" else 1


def changed(before: Exchange | None, after: Exchange | None) -> bool:
    """Whether the owner's read of the resource differs before and after B's requests."""
    if before is None or after is None:
        return False
    return after.status != before.status or not same_json(before, after)


@schemathesis.check
def access_object_level(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Principal B gets 404 from every operation linked to A's new resource; A's is unchanged."""
    create = created(case, response, OBJECT_LEVEL)
    if create is None:
        return True
    state, other = create.state, create.state.other
    if other is None:
        state.note(NEEDS_TWO_TOKENS.format(rule=OBJECT_LEVEL))
        return True
    pointer = create.id_pointer
    before = read_back(case, response, pointer, state.owner, state, "principal A reads it")
    leaks: list[Exchange] = []
    for target in sorted((t for t in link_targets(case, response) if t.parameters), key=order):
        request = target_case(case, target, other, state)
        if request is None:
            state.note(f"{OBJECT_LEVEL}: cannot build a request for {target.operation.label}")
            continue
        answer = send(f"principal B: {target.operation.label} (link {target.name})", request)
        if answer.status != 404:
            leaks.append(answer)
    after = read_back(case, response, pointer, state.owner, state, "principal A reads it again")
    problems = [f"B's {leak.case.operation.label} answered {leak.status}" for leak in leaks]
    if changed(before, after) and after is not None:
        problems.append(f"A's resource changed under B's requests (now {after.status})")
        leaks.append(after)
    if problems and not create.disturbed():
        raise ObjectLevelAccess(
            operation=create.label,
            summary="Principal B reached A's resource (the contract says 404): "
            f"{'; '.join(problems)}.",
            evidence=evidence([create.first, *leaks]),
            reproduce=reproduce([create.first, *leaks]),
        )
    return None
