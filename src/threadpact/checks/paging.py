"""Paging: following the next-page values reaches every item of a list exactly once.

The rule reads the collection at the largest page size the spec allows, making
resources until it holds at least three, then reads it again in about three pages
(the page-size parameter of :func:`listing.page_size`), following ``next_<cursor>``
until the last page. No item may show twice, the walk must end, and every item of the
first read must be on some page (an item missing is looked for once more at the largest
page size, so a concurrent delete is not blamed on the pages).
"""

import math
from collections import Counter
from typing import Any

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import KeyedCreate, created
from threadpact.checks.exchange import Exchange, evidence, reproduce
from threadpact.checks.failures import EXACTLY_ONCE, PagesMissOrRepeat
from threadpact.checks.listing import page_size
from threadpact.checks.resources import (
    MAX_PAGES,
    Listing,
    collection_of,
    unreadable,
    walk_collection,
)
from threadpact.checks.types import AnyCase, ApiOperation, Response
from threadpact.pointers import value_at

AT_LEAST = 3
"""Items the collection holds before the paged read (made if it has fewer)."""
PAGES = 3
"""About how many pages the paged read takes."""


def listed_ids(listing: Listing, pointer: str) -> list[Any]:
    """The IDs of every item on every page, in order, repeats and all."""
    return [value_at(item, pointer) for item in listing.items()]


def filled(create: KeyedCreate, collection: ApiOperation) -> tuple[Listing, list[Exchange]] | None:
    """The owner's whole collection, after making resources until it holds ``AT_LEAST``.

    With it, the creates from the engine's on (a fresh server needs them to show pages).
    """
    state, made = create.state, [create.first]
    for _attempt in range(AT_LEAST + 1):
        full = walk_collection(create.case, collection, state.owner, "list it at the largest size")
        if not full.complete:
            return None
        if len(listed_ids(full, create.id_pointer)) >= AT_LEAST:
            return full, made
        another = create.another("another resource, so the list has several pages")
        if another is None or not another.ok:
            return None
        made.append(another)
    return None


def paging_problems(
    create: KeyedCreate, collection: ApiOperation, full: Listing, paged: Listing
) -> tuple[list[str], list[Exchange]]:
    """Items the paged read repeated or skipped, and whether it ended."""
    pointer, problems = create.id_pointer, []
    shown: list[Exchange] = []
    failed = [page for page in paged.pages if page.status != 200]
    if failed:
        return [f"a page answered {failed[0].status}"], failed[:1]
    if not paged.complete:
        problems.append(f"after {MAX_PAGES} pages it still names a next page")
        shown += paged.pages[-2:]
    seen = Counter(listed_ids(paged, pointer))
    repeated = sorted(str(item) for item, times in seen.items() if times > 1)
    if repeated:
        problems.append(f"{len(repeated)} item(s) on more than one page: {', '.join(repeated[:3])}")
        shown += [page for item in repeated[:3] for page in paged.holding(pointer, item)]
    absent = [item for item in listed_ids(full, pointer) if item not in seen]
    if absent and paged.complete:
        again = walk_collection(create.case, collection, create.state.owner, "list it once more")
        still = [item for item in absent if item in listed_ids(again, pointer)]
        if still:
            problems.append(f"{len(still)} item(s) on no page: {', '.join(map(str, still[:3]))}")
            shown += [*paged.pages, *again.holding(pointer, still[0])]
    return problems, shown


@schemathesis.check
def pagination_exactly_once(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Pages read one after the other show every item of the list, each once."""
    create = created(case, response, EXACTLY_ONCE)
    if create is None:
        return True
    collection = collection_of(case)
    size = page_size(collection) if collection is not None else None
    if collection is None or size is None or create.resource_id is None:
        return True
    if unreadable(create, create.first):
        return True
    found = filled(create, collection)
    if found is None:
        create.state.note(f"{EXACTLY_ONCE}: could not fill the list of {create.label}")
        return True
    full, made = found
    count = len(listed_ids(full, create.id_pointer))
    small = max(size.minimum, math.ceil(count / PAGES))
    small = min(small, size.maximum) if size.maximum is not None else small
    paged = walk_collection(
        create.case, collection, create.state.owner, "list it page by page", {size.name: small}
    )
    problems, shown = paging_problems(create, collection, full, paged)
    if problems and not create.disturbed():
        raise PagesMissOrRepeat(
            operation=collection.label,
            summary=f"Following the next pages ({size.name}={small}) did not reach every item "
            f"exactly once: {'; '.join(problems)}.",
            evidence=evidence([create.first, *shown]),
            reproduce=reproduce([*made, *paged.pages]),
        )
    return None
