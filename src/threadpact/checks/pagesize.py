"""The default page size: a list asked without a page size answers the spec's ``default``.

For a collection whose list declares a page-size parameter with a ``default``
(:func:`listing.page_size`), the rule makes resources until the collection holds more
than the default, then asks for the first page without the parameter: it must hold
exactly the default number of items and name a next page; the page after it holds no
more than the default. It runs once per create operation, since it may make many
resources.
"""

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import KeyedCreate, created
from threadpact.checks.exchange import Exchange, build, evidence, reproduce, send
from threadpact.checks.failures import DEFAULT_PAGE_SIZE, DefaultPageSizeIgnored
from threadpact.checks.listing import PageSize, page_size
from threadpact.checks.resources import (
    collection_of,
    next_query,
    page_items,
    unreadable,
    walk_collection,
)
from threadpact.checks.types import AnyCase, ApiOperation, Response

SAMPLES = 1


def held(create: KeyedCreate, collection: ApiOperation) -> int | None:
    """How many items the owner's collection holds (None if it cannot be read whole)."""
    full = walk_collection(create.case, collection, create.state.owner, "count the list")
    return len(list(full.items())) if full.complete else None


def fill_past(
    create: KeyedCreate, collection: ApiOperation, size: PageSize
) -> list[Exchange] | None:
    """Make resources until the collection holds more than the default page size.

    The creates, from the engine's on (a fresh server needs them all to show the pages).
    """
    count = held(create, collection)
    if count is None:
        return None
    made = [create.first]
    for number in range(max(0, size.default + 1 - count)):
        more = create.another(f"resource {number + 1} to fill the list past {size.default}")
        if more is None or not more.ok:
            return None
        made.append(more)
    return made


def first_pages(create: KeyedCreate, collection: ApiOperation) -> list[Exchange]:
    """The first page asked without a page size, and the page after it likewise."""
    names = {parameter.name for parameter in collection.path_parameters}
    path = {k: v for k, v in create.case.path_parameters.items() if k in names}
    query: dict[str, str] = {}
    pages: list[Exchange] = []
    for number in (1, 2):
        request = build(
            create.case,
            operation=collection,
            principal=create.state.owner,
            path_parameters=path,
            query=query,
        )
        pages.append(send(f"list it without a page size (page {number})", request))
        following = next_query(collection, pages[-1].json()) if pages[-1].status == 200 else None
        if following is None:
            break
        query = following
    return pages


def size_problems(pages: list[Exchange], size: PageSize) -> list[str]:
    """How the pages differ from pages of the default size."""
    first = pages[0]
    if first.status != 200:
        return [f"the first page answered {first.status}"]
    problems = []
    count = len(page_items(first.json()))
    if count != size.default:
        problems.append(
            f"the first page holds {count} items though the list holds more; "
            f"the spec's default {size.name} is {size.default}"
        )
    if len(pages) < 2:
        problems.append("the first page names no next page")
    elif pages[1].status == 200 and len(page_items(pages[1].json())) > size.default:
        problems.append(f"the second page holds {len(page_items(pages[1].json()))} items")
    return problems


@schemathesis.check
def pagination_default_limit(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Without a page size, a list answers pages of the spec's default size."""
    create = created(case, response, DEFAULT_PAGE_SIZE, SAMPLES)
    if create is None:
        return True
    collection = collection_of(case)
    size = page_size(collection) if collection is not None else None
    if collection is None or size is None or unreadable(create, create.first):
        return True
    made = fill_past(create, collection, size)
    if made is None:
        create.state.note(f"{DEFAULT_PAGE_SIZE}: could not fill the list of {create.label}")
        return True
    pages = first_pages(create, collection)
    problems = size_problems(pages, size)
    if problems and not create.disturbed():
        raise DefaultPageSizeIgnored(
            operation=collection.label,
            summary=f"A list without {size.name} broke the spec's default: {'; '.join(problems)}.",
            evidence=evidence([create.first, *pages]),
            reproduce=reproduce([*made, *pages]),
        )
    return None
