"""Conditional updates, for every operation that takes ``If-Match`` and answers an ``ETag``.

On a resource of its own, the rule reads the ETag, changes the resource with that ETag
(the answer's ETag is new, and reads give it), changes it again with the now stale ETag
(412, and the resource reads back unchanged), then changes it with the current ETag
(yet another ETag), and finally with ``If-Match: *``, which matches any current ETag
(the change applies, with a new ETag).
"""

import uuid
from dataclasses import dataclass, field

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import KeyedCreate, created
from threadpact.checks.exchange import Exchange, build, evidence, reproduce, same_json, send
from threadpact.checks.failures import CONDITIONAL_UPDATE, ConditionalUpdateBroken
from threadpact.checks.links import LinkTarget
from threadpact.checks.resources import (
    declares_header,
    declares_parameter,
    item_targets,
    own_resource,
    request_to,
    with_method,
)
from threadpact.checks.spec import marked_body
from threadpact.checks.types import AnyCase, Response
from threadpact.names import ETAG, IF_MATCH

CHANGES = ("PATCH", "PUT", "POST")
ANY = "*"
"""The If-Match value that matches any current ETag (RFC 9110, section 13.1.1)."""


def update_target(targets: list[LinkTarget], id_pointer: str) -> LinkTarget | None:
    """The change that takes If-Match and answers an ETag, on the resource itself."""
    for method in CHANGES:
        target = with_method(targets, method, id_pointer)
        if (
            target is not None
            and declares_parameter(target.operation, "header", IF_MATCH)
            and declares_header(target.operation, ETAG)
        ):
            return target
    return None


def applies(targets: list[LinkTarget], id_pointer: str) -> bool:
    """Whether the resource has a conditional change and a read that answers its ETag."""
    read = with_method(targets, "GET", id_pointer)
    return (
        update_target(targets, id_pointer) is not None
        and read is not None
        and declares_header(read.operation, ETAG)
    )


@dataclass
class Trail:
    """The exchanges of one run of the rule, and what broke."""

    shown: list[Exchange] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, exchange: Exchange) -> Exchange:
        """Keep an exchange as evidence."""
        self.shown.append(exchange)
        return exchange


def change(
    create: KeyedCreate, own: Exchange, target: LinkTarget, tag: str | None, purpose: str
) -> Exchange | None:
    """Change the resource with ``If-Match: tag`` and a body no earlier change sent."""
    request = request_to(own, target, create.state.owner, create.state)
    if request is None:
        return None
    marked = marked_body(request, f"etag-{uuid.uuid4().hex[:12]}")
    body = marked[0] if marked is not None else request.body
    name = declares_parameter(target.operation, "header", IF_MATCH) or IF_MATCH
    return send(purpose, build(request, headers={name: tag}, body=body))


def judge(create: KeyedCreate, own: Exchange, target: LinkTarget, read: LinkTarget) -> Trail:
    """Run the sequence on ``own`` and say what broke."""
    trail, state = Trail([own]), create.state

    def reading(purpose: str) -> Exchange | None:
        request = request_to(own, read, state.owner, state)
        return trail.add(send(purpose, request)) if request is not None else None

    first = reading("read the current ETag")
    tag0 = first.header(ETAG) if first is not None else None
    if first is None or first.status != 200 or tag0 is None:
        trail.problems.append("reading the new resource gave no ETag")
        return trail
    if own.header(ETAG) is not None and own.header(ETAG) != tag0:
        trail.problems.append(f"the create answered ETag {own.header(ETAG)}, a read {tag0}")
    update = change(create, own, target, tag0, "change it with the current ETag")
    if update is None:
        return trail
    trail.add(update)
    tag1 = update.header(ETAG)
    if not update.ok:
        trail.problems.append(f"a change with the current ETag answered {update.status}")
        return trail
    if tag1 is None or tag1 == tag0:
        trail.problems.append(f"the change answered ETag {tag1} (before it: {tag0})")
    after = reading("read it after the change")
    if after is not None and after.header(ETAG) != tag1:
        trail.problems.append(f"a read gives ETag {after.header(ETAG)}, the change gave {tag1}")
    stale = change(create, own, target, tag0, "change it with the stale ETag")
    if stale is not None:
        trail.add(stale)
        if stale.status != 412:
            trail.problems.append(f"a change with a stale ETag answered {stale.status}, not 412")
    still = reading("read it after the stale change")
    if (
        after is not None
        and still is not None
        and (not same_json(after, still) or still.header(ETAG) != after.header(ETAG))
    ):
        trail.problems.append("the stale change changed the resource")
    again = change(create, own, target, tag1, "change it again with the current ETag")
    if again is not None and again.ok and again.header(ETAG) in (tag0, tag1):
        trail.add(again)
        trail.problems.append(f"a second change answered an old ETag ({again.header(ETAG)})")
    if again is not None and again.ok:
        wildcard(create, own, target, trail, {tag0, tag1, again.header(ETAG)})
    return trail


def wildcard(
    create: KeyedCreate, own: Exchange, target: LinkTarget, trail: Trail, old: set[str | None]
) -> None:
    """``If-Match: *`` matches whatever the current ETag is: the change applies."""
    star = change(create, own, target, ANY, f"change it with {IF_MATCH}: {ANY}")
    if star is None:
        return
    if not star.ok:
        trail.add(star)
        trail.problems.append(f"a change with {IF_MATCH}: {ANY} answered {star.status}")
    elif star.header(ETAG) in old:
        trail.add(star)
        trail.problems.append(f"a change with {IF_MATCH}: {ANY} answered an old ETag")


@schemathesis.check
def conditional_update(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Every change gives a new ETag; a stale If-Match answers 412 and changes nothing."""
    create = created(case, response, CONDITIONAL_UPDATE)
    if create is None:
        return True
    if not applies(item_targets(create.first), create.id_pointer):
        return True
    own = own_resource(create, CONDITIONAL_UPDATE)
    if own is None:
        return True
    # The links of the rule's own resource: their parameters name it, not the engine's.
    targets = item_targets(own)
    target = update_target(targets, create.id_pointer)
    read = with_method(targets, "GET", create.id_pointer)
    if target is None or read is None:
        return True
    trail = judge(create, own, target, read)
    if trail.problems and not create.disturbed():
        raise ConditionalUpdateBroken(
            operation=target.operation.label,
            summary=f"A conditional change broke the rule: {'; '.join(trail.problems)}.",
            evidence=evidence(trail.shown),
            reproduce=reproduce(trail.shown),
        )
    return None
