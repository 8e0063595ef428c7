"""The spec reading and judgement of the order, paging, page-size, cursor and UTC rules."""

import copy

from schemathesis.schemas import BaseSchema

from tests.checks.fakes import THREAD_ID, create_case, exchange, operation, thread
from threadpact.checks.exchange import Exchange
from threadpact.checks.listing import cursor_parameter, declared_order, page_size
from threadpact.checks.ordering import order_problems
from threadpact.checks.resources import Listing
from threadpact.checks.spec import view_of
from threadpact.checks.times import not_utc, utc_values
from threadpact.openapi import Spec, load_spec
from threadpact.reference import reference_spec

FIRST, SECOND, THIRD = (f"00000000-0000-4000-8000-00000000000{n}" for n in (1, 2, 3))


def test_the_order_is_read_from_the_lists_own_words(schema: BaseSchema) -> None:
    assert declared_order(operation(schema, "listThreads")) == "newest"
    assert declared_order(operation(schema, "listMessages")) == "oldest"
    assert declared_order(operation(schema, "getThread")) is None


def test_page_size_and_cursor_come_from_the_parameters(schema: BaseSchema) -> None:
    size = page_size(operation(schema, "listThreads"))
    assert size is not None
    assert (size.name, size.default, size.minimum, size.maximum) == ("limit", 20, 1, 100)
    cursor = cursor_parameter(operation(schema, "listMessages"))
    assert cursor is not None
    assert (cursor.name, cursor.status) == ("cursor", 400)
    assert page_size(operation(schema, "createThread")) is None
    assert cursor_parameter(operation(schema, "getThread")) is None


def test_only_a_utc_offset_passes() -> None:
    assert not_utc("2026-11-28T09:15:02.120000Z") is None
    assert not_utc("2026-11-28T09:15:02+00:00") is None
    assert not_utc("2026-11-28T09:15:02-00:00") is None
    assert not_utc("2026-11-28T11:15:02+02:00") == "+02:00"
    assert not_utc("not a time") is None
    assert not_utc(12) is None


def test_utc_fields_are_the_date_times_the_spec_says_are_utc(schema: BaseSchema) -> None:
    spec = view_of(operation(schema, "listThreads")).spec
    page = {"items": [thread(), thread(created_at="x")], "next_cursor": None}
    pointer = "/components/schemas/ThreadPage"
    found = dict(utc_values(spec, spec.resolve({"$ref": f"#{pointer}"}).value, page))
    assert found == {
        "/items/0/created_at": "2026-11-28T09:15:02.120000Z",
        "/items/0/updated_at": "2026-11-28T09:15:02.120000Z",
        "/items/1/created_at": "x",
        "/items/1/updated_at": "2026-11-28T09:15:02.120000Z",
    }


def test_a_date_time_without_utc_in_its_description_is_not_held_to_it() -> None:
    document = copy.deepcopy(load_spec(reference_spec()))
    field = document["components"]["schemas"]["Message"]["properties"]["created_at"]
    field["description"] = "RFC 3339."
    spec = Spec(document)
    message = {"id": THREAD_ID, "created_at": "2026-11-28T11:15:02+02:00"}
    assert list(utc_values(spec, {"$ref": "#/components/schemas/Message"}, message)) == []


def made(schema: BaseSchema, *ids: str) -> list[Exchange]:
    case = create_case(schema)
    return [exchange(case, 201, thread(i)) for i in ids]


def listing(schema: BaseSchema, *ids: str, stamp: str | None = None) -> Listing:
    case = create_case(schema)
    stamps = [stamp or f"2026-11-28T09:15:0{n}Z" for n in range(len(ids))]
    items = [thread(i, created_at=at) for i, at in zip(ids, stamps, strict=True)]
    return Listing([exchange(case, 200, {"items": items, "next_cursor": None})])


def test_the_order_of_the_rules_own_resources_is_judged(schema: BaseSchema) -> None:
    ours = made(schema, FIRST, SECOND, THIRD)
    newest = listing(schema, THIRD, THREAD_ID, SECOND, FIRST)
    assert order_problems(newest, ours, "/id", "newest") == []
    assert len(order_problems(newest, ours, "/id", "oldest")) == 2
    swapped = listing(schema, SECOND, THIRD, FIRST)
    assert order_problems(swapped, ours, "/id", "newest") == [
        f"{THIRD} (made after {SECOND}) is listed after it; the spec says newest first"
    ]


def test_equal_creation_times_and_missing_items_are_not_judged(schema: BaseSchema) -> None:
    ours = made(schema, FIRST, SECOND, THIRD)
    tied = listing(schema, FIRST, SECOND, THIRD, stamp="2026-11-28T09:15:02Z")
    assert order_problems(tied, ours, "/id", "newest") == []
    assert order_problems(listing(schema, FIRST, THIRD), ours, "/id", "newest") == []
