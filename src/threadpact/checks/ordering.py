"""List order: a collection lists its items in the creation order the spec declares.

The collection is the list at the create's path (:mod:`threadpact.checks.resources`);
its order is what the list's own words declare (:func:`listing.declared_order`). The
rule makes two more resources after the engine's, one after the other, reads every
page, and expects the three in creation order (``oldest first``) or its reverse
(``newest first``). Items of others may sit between them. Two of them whose
``created…`` timestamps are equal are not judged: a provider may not tell apart
creates within its clock's resolution.
"""

from typing import Any

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import KeyedCreate, created
from threadpact.checks.exchange import Exchange, evidence, reproduce
from threadpact.checks.failures import LIST_ORDER, ListOutOfOrder
from threadpact.checks.listing import Order, declared_order
from threadpact.checks.resources import Listing, collection_of, unreadable, walk_collection
from threadpact.checks.types import AnyCase, Response
from threadpact.pointers import value_at

MADE = 3
"""How many resources, made one after the other, the rule looks for in the list."""


def created_stamp(item: Any) -> Any:
    """The item's creation timestamp (its first ``created…`` field), if it has one."""
    if not isinstance(item, dict):
        return None
    return next((value for name, value in item.items() if name.startswith("created")), None)


def order_problems(listing: Listing, made: list[Exchange], pointer: str, order: Order) -> list[str]:
    """Where the listing breaks the declared order of resources made in the order ``made``."""
    items = list(listing.items())
    ids = [value_at(item, pointer) for item in items]
    wanted = [exchange.value(pointer) for exchange in made]
    if any(ids.count(resource) != 1 for resource in wanted):
        return []  # missing or repeated: the scope and paging rules' findings
    positions = [ids.index(resource) for resource in wanted]
    problems = []
    for earlier in range(len(made) - 1):
        later = earlier + 1
        stamps = (created_stamp(items[positions[earlier]]), created_stamp(items[positions[later]]))
        if stamps[0] is not None and stamps[0] == stamps[1]:
            continue
        before = positions[later] < positions[earlier]
        if before != (order == "newest"):
            problems.append(
                f"{wanted[later]} (made after {wanted[earlier]}) is listed "
                f"{'before' if before else 'after'} it; the spec says {order} first"
            )
    return problems


def made_in_turn(create: KeyedCreate) -> list[Exchange] | None:
    """The engine's resource and more made one after the other; None if one failed."""
    made = [create.first]
    while len(made) < MADE:
        another = create.another(f"resource {len(made) + 1}, made after the one before")
        if another is None or not another.ok:
            create.state.note(f"{LIST_ORDER}: could not make more resources on {create.label}")
            return None
        made.append(another)
    return made


@schemathesis.check
def pagination_order(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Resources made one after the other are listed in the order the spec declares."""
    create = created(case, response, LIST_ORDER)
    if create is None:
        return True
    collection = collection_of(case)
    order = declared_order(collection) if collection is not None else None
    if collection is None or order is None or create.resource_id is None:
        return True
    if unreadable(create, create.first):
        return True
    made = made_in_turn(create)
    if made is None:
        return True
    listing = walk_collection(case, collection, create.state.owner, "list them")
    if not listing.complete:
        return True
    problems = order_problems(listing, made, create.id_pointer, order)
    if problems and not create.disturbed():
        shown = [*made, *listing.pages]
        raise ListOutOfOrder(
            operation=collection.label,
            summary=f"A list is out of the declared order: {'; '.join(problems)}.",
            evidence=evidence(shown),
            reproduce=reproduce(shown),
        )
    return None
