"""What the checks read from the spec."""

from typing import Any

import pytest
from schemathesis.schemas import BaseSchema

from tests.checks.fakes import BODY, create_case, operation
from threadpact.checks import spec
from threadpact.pointers import value_at


@pytest.mark.parametrize(
    ("operation_id", "declared"),
    [("createThread", True), ("createMessage", True), ("getThread", False), ("listThreads", False)],
)
def test_key_parameter_is_found_where_the_spec_declares_it(
    schema: BaseSchema, operation_id: str, declared: bool
) -> None:
    found = spec.idempotency_parameter(operation(schema, operation_id))
    assert (found is not None) == declared
    if found is not None:
        assert found.is_valid("threadpact-1")
        assert not found.is_valid(" leading-space")


@pytest.mark.parametrize(
    ("pointer", "expected"),
    [("", {"a": {"b/c": [1, 2]}}), ("/a/b~1c/1", 2), ("/a/missing", None), ("/a/b~1c/9", None)],
)
def test_json_pointers_resolve(pointer: str, expected: Any) -> None:
    assert value_at({"a": {"b/c": [1, 2]}}, pointer) == expected


def test_another_body_differs_in_one_field_and_is_still_valid(schema: BaseSchema) -> None:
    case = create_case(schema)
    other = spec.other_body(case)
    assert other is not None
    assert other != BODY
    assert sum(other[name] != BODY[name] for name in BODY) == 1
    assert spec.is_valid_body(case, other)


def test_another_body_respects_the_schema_limits(schema: BaseSchema) -> None:
    case = create_case(schema)
    case.body = {**BODY, "agent_id": "a" * 100, "model": "m" * 100, "provider": "p" * 100}
    other = spec.other_body(case)
    assert other is not None
    assert spec.is_valid_body(case, other)


def test_a_marker_goes_into_a_string_field(schema: BaseSchema) -> None:
    marked = spec.marked_body(create_case(schema), "burst-1")
    assert marked is not None
    body, field = marked
    assert body[field] == "burst-1"
    assert {name: value for name, value in body.items() if name != field} == {
        name: value for name, value in BODY.items() if name != field
    }


def test_example_bodies_come_from_the_spec(schema: BaseSchema) -> None:
    assert spec.example_body(operation(schema, "updateThread")) == (
        {"title": "Refund approved"},
        "application/json",
    )
    assert spec.example_body(operation(schema, "getThread")) is None
