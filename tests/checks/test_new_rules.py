"""The spec reading and judgement of the collection, ETag, fidelity and deletion rules."""

from schemathesis.schemas import BaseSchema

from tests.checks.fakes import create_case, operation
from threadpact.checks.fidelity import defaults, not_kept, required, stressed
from threadpact.checks.resources import (
    collection_of,
    declares_header,
    declares_parameter,
    next_query,
    page_items,
    returns_array,
)


def test_the_collection_is_the_list_at_the_creates_path(schema: BaseSchema) -> None:
    found = collection_of(create_case(schema))
    assert found is not None
    assert found.label == "GET /threads"
    assert returns_array(operation(schema, "listMessages"))
    assert not returns_array(operation(schema, "getThread"))


def test_conditional_changes_are_found_by_their_declarations(schema: BaseSchema) -> None:
    update = operation(schema, "updateThread")
    assert declares_parameter(update, "header", "if-match") == "If-Match"
    assert declares_header(update, "etag")
    assert declares_parameter(operation(schema, "deleteThread"), "header", "If-Match") is None
    assert not declares_header(operation(schema, "getMessage"), "ETag")


def test_pages_name_their_items_and_the_next_page(schema: BaseSchema) -> None:
    listing = operation(schema, "listThreads")
    assert page_items({"items": [1, 2], "next_cursor": "abc"}) == [1, 2]
    assert page_items([3]) == [3]
    assert page_items("nope") == []
    assert next_query(listing, {"items": [], "next_cursor": "abc"}) == {"cursor": "abc"}
    assert next_query(listing, {"items": [], "next_cursor": None}) is None


def test_defaults_and_required_fields_come_from_the_spec(schema: BaseSchema) -> None:
    case = create_case(schema)
    assert defaults(case) == {"title": "New thread"}
    assert required(case) == {"agent_id", "model", "provider"}


def test_a_stressed_body_is_valid_long_and_padded(schema: BaseSchema) -> None:
    case = create_case(schema)
    body = stressed(case, {"agent_id": "a", "model": "m", "provider": "p"})
    assert body is not None
    assert len(body["title"]) == 200
    assert len(body["agent_id"]) == 100
    assert body["title"].startswith(" ")
    assert body["title"].endswith(" ")
    assert "e\u0301" in body["title"]


def test_what_is_not_kept_is_named(schema: BaseSchema) -> None:
    case = create_case(schema)
    sent = {"agent_id": " a ", "model": "m", "provider": "p"}
    answer = {"agent_id": "a", "model": "m", "provider": "p", "title": ""}
    problems = not_kept(case, sent, answer, "the create")
    assert problems == [
        "the create: agent_id was sent as ' a ', came back as 'a'",
        "the create: title was left out and came back as '', not the spec's default 'New thread'",
    ]
    kept = {**sent, "title": "New thread", "id": "x"}
    assert not_kept(case, sent, kept, "the create") == []
