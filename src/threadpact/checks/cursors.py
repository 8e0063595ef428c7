"""Foreign cursors: a next-page value the server never made answers what the spec says.

The cursor is the list's query parameter that its pages name as ``next_<name>``, and
the answer is the 4xx status its description gives (:func:`listing.cursor_parameter`).
The rule asks the collection of a new resource for a page with a made-up value the
parameter's schema accepts (random, so no server can have made it) and expects that
status, not a page.
"""

import uuid
from collections.abc import Iterator

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import created
from threadpact.checks.exchange import build, evidence, reproduce, send
from threadpact.checks.failures import FOREIGN_CURSOR, ForeignCursorAccepted
from threadpact.checks.listing import cursor_parameter
from threadpact.checks.resources import collection_of
from threadpact.checks.spec import view_of
from threadpact.checks.types import AnyCase, Response


def made_up(marker: str) -> Iterator[str]:
    """Values no server made, from most to least telling."""
    yield f"threadpact-made-up-{marker}"
    yield marker
    yield marker[:8]


@schemathesis.check
def pagination_foreign_cursor(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """A made-up cursor answers the status the spec gives for it."""
    create = created(case, response, FOREIGN_CURSOR)
    if create is None:
        return True
    collection = collection_of(case)
    cursor = cursor_parameter(collection) if collection is not None else None
    if collection is None or cursor is None:
        return True
    view = view_of(collection)
    value = next(
        (v for v in made_up(uuid.uuid4().hex) if view.is_valid(cursor.schema_pointer, v)), None
    )
    if value is None:
        create.state.note(f"{FOREIGN_CURSOR}: the schema of {cursor.name} refuses made-up values")
        return True
    names = {parameter.name for parameter in collection.path_parameters}
    path = {k: v for k, v in case.path_parameters.items() if k in names}
    request = build(
        case,
        operation=collection,
        principal=create.state.owner,
        path_parameters=path,
        query={cursor.name: value},
    )
    probe = send(f"a {cursor.name} the server never made", request)
    if probe.status != cursor.status and not create.disturbed():
        raise ForeignCursorAccepted(
            operation=collection.label,
            summary=f"A {cursor.name} the server never made answered {probe.status}; "
            f"the spec says {cursor.status}.",
            evidence=evidence([create.first, probe]),
            reproduce=reproduce([create.first, probe]),
        )
    return None
