"""Deletion: once a resource is deleted, nothing of it stays reachable or listed.

For every create whose answer links to a DELETE of the new resource, the rule makes a
resource of its own, gives it a child through every keyed create the answer links to
(a message, for a thread), deletes it, and then expects 404 from every operation the
two answers link to (read, change, delete again, the child's reads, new children) and
no trace of it on any page of its collection.
"""

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import KeyedCreate, created
from threadpact.checks.exchange import Exchange, evidence, reproduce, send
from threadpact.checks.failures import DELETION, DeletedStillThere
from threadpact.checks.links import LinkTarget
from threadpact.checks.resources import (
    NOT_FOUND,
    collection_of,
    item_targets,
    own_resource,
    request_to,
    walk_collection,
    with_method,
)
from threadpact.checks.spec import idempotency_parameter
from threadpact.checks.types import AnyCase, Response


def children(create: KeyedCreate, own: Exchange, targets: list[LinkTarget]) -> list[Exchange]:
    """A child made through every keyed create the resource's answer links to."""
    made = []
    for target in targets:
        if idempotency_parameter(target.operation) is None:
            continue
        request = request_to(own, target, create.state.owner, create.state)
        if request is not None:
            child = send(f"give it a child: {target.operation.label}", request)
            if child.ok:
                made.append(child)
    return made


def reachable(create: KeyedCreate, answers: list[Exchange]) -> list[Exchange]:
    """Every operation the answers link to, called as the owner, that did not answer 404."""
    found = []
    for answer in answers:
        for target in item_targets(answer):
            request = request_to(answer, target, create.state.owner, create.state)
            if request is None:
                continue
            after = send(f"after the delete: {target.operation.label}", request)
            if after.status != NOT_FOUND:
                found.append(after)
    return found


@schemathesis.check
def deletion(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """After a delete, every link of the resource and its children answers 404; none lists it."""
    create = created(case, response, DELETION)
    if create is None:
        return True
    if with_method(item_targets(create.first), "DELETE", create.id_pointer) is None:
        return True
    own = own_resource(create, DELETION)
    if own is None:
        return True
    # The links of the rule's own resource: their parameters name it, not the engine's.
    targets = item_targets(own)
    target = with_method(targets, "DELETE", create.id_pointer)
    if target is None:
        return True
    kids = children(create, own, targets)
    request = request_to(own, target, create.state.owner, create.state)
    if request is None:
        return True
    gone = send("delete it", request)
    shown, problems = [own, *kids, gone], []
    if not gone.ok:
        problems.append(f"the delete answered {gone.status}")
    else:
        still = reachable(create, [own, *kids])
        shown += still
        problems += [f"{s.case.operation.label} answered {s.status}" for s in still]
        collection = collection_of(create.case)
        if collection is not None:
            pages = walk_collection(own.case, collection, create.state.owner, "list after it")
            listed = pages.holding(create.id_pointer, own.value(create.id_pointer))
            shown += listed
            problems += ["its collection still lists it"] if listed else []
    if problems and not create.disturbed():
        raise DeletedStillThere(
            operation=target.operation.label,
            summary=f"A deleted resource is still there: {'; '.join(problems)}.",
            evidence=evidence(shown),
            reproduce=reproduce(shown),
        )
    return None
