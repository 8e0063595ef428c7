"""Collection scoping: a list shows the caller's own resources and never anyone else's.

The collection is the list operation at the create's own path (see
:mod:`threadpact.checks.resources`). Principal A's new resource is on A's pages and on
none of B's; a resource B makes in the same collection is on none of A's pages. Every
page is read, following the next-page values, at the largest page size the spec allows.
"""

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import KeyedCreate, created
from threadpact.checks.exchange import Exchange, evidence, reproduce
from threadpact.checks.failures import COLLECTION_SCOPE, CollectionLeaks
from threadpact.checks.idempotency import NEEDS_TWO_TOKENS
from threadpact.checks.resources import Listing, collection_of, unreadable, walk_collection
from threadpact.checks.types import AnyCase, ApiOperation, Response


def scope_problems(
    create: KeyedCreate, collection: ApiOperation, theirs: Exchange | None
) -> tuple[list[str], list[Exchange]]:
    """What A's and B's listings show that they must not, or lack that they must show."""
    state, pointer = create.state, create.id_pointer
    problems: list[str] = []
    shown: list[Exchange] = [create.first]
    if state.other is None:
        return problems, shown
    mine = walk_collection(create.case, collection, state.owner, "principal A lists")
    if mine.complete and not mine.holding(pointer, create.resource_id):
        problems.append(f"A's pages lack A's new resource {create.resource_id}")
        shown += mine.pages
    if theirs is not None and theirs.ok:
        other_id = theirs.value(pointer)
        leaked = mine.holding(pointer, other_id)
        if leaked:
            problems.append(f"A's pages show B's resource {other_id}")
            shown += [theirs, *leaked]
    others: Listing = walk_collection(create.case, collection, state.other, "principal B lists")
    leaked = others.holding(pointer, create.resource_id)
    if leaked:
        problems.append(f"B's pages show A's resource {create.resource_id}")
        shown += leaked
    return problems, shown


@schemathesis.check
def access_collection_scope(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """A's resource is listed for A and never for B; B's resource is never listed for A."""
    create = created(case, response, COLLECTION_SCOPE)
    if create is None:
        return True
    state = create.state
    if state.other is None:
        state.note(NEEDS_TWO_TOKENS.format(rule=COLLECTION_SCOPE))
        return True
    collection = collection_of(case)
    if collection is None or create.resource_id is None or unreadable(create, create.first):
        return True
    theirs = create.another("principal B makes one in the same collection", as_other=True)
    problems, shown = scope_problems(create, collection, theirs)
    if problems and not create.disturbed():
        raise CollectionLeaks(
            operation=collection.label,
            summary=f"A list broke the principal's scope: {'; '.join(problems)}.",
            evidence=evidence(shown),
            reproduce=reproduce(shown),
        )
    return None
