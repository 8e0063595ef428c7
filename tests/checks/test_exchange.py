"""Requests the checks build, and how they show them."""

from schemathesis.schemas import BaseSchema

from tests.checks.fakes import BASE_URL, BODY, create_case, exchange, operation
from threadpact.checks.context import Principal
from threadpact.checks.exchange import build, evidence, reproduce


def test_a_rebuilt_request_can_drop_or_replace_the_key(schema: BaseSchema) -> None:
    case = create_case(schema, key="k-1")
    assert "Idempotency-Key" not in build(case, headers={"idempotency-key": None}).headers
    assert build(case, headers={"Idempotency-Key": "k-2"}).headers["Idempotency-Key"] == "k-2"
    assert build(case).body == BODY
    assert build(case, body={"x": 1}).body == {"x": 1}


def test_a_rebuilt_request_can_run_as_another_principal(schema: BaseSchema) -> None:
    case = create_case(schema, token="token-a")
    rebuilt = build(case, principal=Principal("B", "token-b"))
    assert rebuilt.headers["Authorization"] == "Bearer token-b"
    assert rebuilt.headers["Idempotency-Key"] == case.headers["Idempotency-Key"]


def test_a_request_to_another_operation_keeps_only_the_credentials(schema: BaseSchema) -> None:
    case = create_case(schema, token="token-a")
    read = build(case, operation=operation(schema, "getThread"), path_parameters={"thread_id": "x"})
    assert dict(read.headers) == {"Authorization": "Bearer token-a"}
    assert read.method == "GET"
    assert read.formatted_path == "/threads/x"


def test_evidence_shows_the_request_and_the_answer(schema: BaseSchema) -> None:
    case = create_case(schema, key="k-9")
    shown = exchange(case, 201, {"id": "t-1"}, Location="/threads/t-1", Idempotent_Replayed="true")
    text = evidence([shown])
    assert "<-- 201" in text
    assert "Location: /threads/t-1" in text
    assert "Idempotent-Replayed: true" in text
    assert '{"id": "t-1"}' in text


def test_a_reproduction_replays_every_request_in_order(schema: BaseSchema) -> None:
    first = exchange(create_case(schema, key="k-1"), 201)
    second = exchange(create_case(schema, key="k-2"), 201)
    line = reproduce([first, second])
    assert line.count("curl -X POST") == 2
    assert line.index("Idempotency-Key: k-1") < line.index("Idempotency-Key: k-2")
    assert f"{BASE_URL}/threads" in line
