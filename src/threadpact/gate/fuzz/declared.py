"""What the spec declares about a contract rule's collection, read as the rule reads it."""

from threadpact.checks.fidelity import defaults
from threadpact.checks.listing import cursor_parameter, declared_order, page_size
from threadpact.checks.resources import collection_of
from threadpact.checks.types import AnyCase
from threadpact.gate.fuzz.expect import Declared


def declared(case: AnyCase | None) -> Declared:
    """The list order, default page size and made-up cursor status of ``case``'s collection.

    With the ``default`` of each property of ``case``'s body. Empty for no case.
    """
    if case is None:
        return Declared()
    collection = collection_of(case)
    if collection is None:
        return Declared(defaults=defaults(case))
    size, cursor = page_size(collection), cursor_parameter(collection)
    return Declared(
        order=declared_order(collection),
        page_default=size.default if size is not None else None,
        cursor_status=cursor.status if cursor is not None else None,
        defaults=defaults(case),
    )
