"""The judgement each rule makes, on canned exchanges."""

from schemathesis.schemas import BaseSchema

from tests.checks.fakes import THREAD_ID, create_case, exchange, operation, thread
from threadpact.checks.access import changed
from threadpact.checks.context import RunState
from threadpact.checks.created import KeyedCreate
from threadpact.checks.idempotency import (
    burst_problems,
    count_marked,
    replay_problems,
    scope_problems,
)
from threadpact.checks.identity import differing_fields, location_problems
from threadpact.checks.spec import idempotency_parameter

OTHER_ID = "5f1e8a40-2a0c-4a1e-9c7b-6e3f0d2b9a10"


def made(schema: BaseSchema, body: object = None, **headers: str) -> KeyedCreate:
    case = create_case(schema)
    parameter = idempotency_parameter(operation(schema, "createThread"))
    return KeyedCreate(
        state=RunState(["token-a", "token-b"], samples=1, burst=3),
        first=exchange(case, 201, thread() if body is None else body, **headers),
        key_header="Idempotency-Key",
        key_schema=parameter,
        id_pointer="/id",
    )


def test_a_faithful_replay_passes(schema: BaseSchema) -> None:
    create = made(schema)
    replay = exchange(create.case, 201, thread(), Idempotent_Replayed="true")
    assert replay_problems(create.first, replay, "/id") == []


def test_a_replay_that_creates_again_is_named(schema: BaseSchema) -> None:
    create = made(schema)
    replay = exchange(create.case, 201, thread(OTHER_ID))
    problems = replay_problems(create.first, replay, "/id")
    assert problems == [
        f"it made a second resource ({OTHER_ID}; the first is {THREAD_ID})",
        "it lacks `Idempotent-Replayed: true`",
    ]


def test_a_replay_with_another_status_or_a_marked_first_answer_is_named(
    schema: BaseSchema,
) -> None:
    create = made(schema, Idempotent_Replayed="true")
    replay = exchange(create.case, 409, {"status": 409}, Idempotent_Replayed="true")
    problems = replay_problems(create.first, replay, "/id")
    assert problems == [
        "the first answer already says Idempotent-Replayed",
        "it answered 409, the first request 201",
    ]


def test_a_burst_that_made_one_resource_passes(schema: BaseSchema) -> None:
    create = made(schema)
    answers = [exchange(create.case, 201, thread()), exchange(create.case, 409, {})]
    assert burst_problems(create, answers) == []


def test_a_burst_that_made_two_resources_or_crashed_is_named(schema: BaseSchema) -> None:
    create = made(schema)
    answers = [
        exchange(create.case, 201, thread()),
        exchange(create.case, 201, thread(OTHER_ID)),
        exchange(create.case, 500, {}),
        exchange(create.case, 422, {}),
    ]
    problems = burst_problems(create, answers)
    assert problems[0] == "1 answered 5xx (500)"
    assert problems[1] == "1 answered 422 (expected 2xx or 409)"
    assert problems[2].startswith("they made 2 resources")
    assert burst_problems(create, [exchange(create.case, 409, {})]) == ["none of them succeeded"]


def test_listed_items_carrying_the_marker_are_counted(schema: BaseSchema) -> None:
    create = made(schema)
    items = [thread(agent_id="m"), thread(OTHER_ID, agent_id="m"), thread(agent_id="x")]
    page = exchange(create.case, 200, {"items": items, "next_cursor": None})
    assert count_marked(page, "agent_id", "m") == 2
    assert count_marked(exchange(create.case, 200, items), "agent_id", "x") == 1


def test_principal_b_getting_a_fresh_resource_passes(schema: BaseSchema) -> None:
    create = made(schema)
    probe = exchange(create.case, 201, thread(OTHER_ID))
    check = exchange(create.case, 201, thread(), Idempotent_Replayed="true")
    assert scope_problems(create, probe, check) == []
    assert scope_problems(create, exchange(create.case, 404, {}), check) == []


def test_principal_b_reaching_a_s_resource_is_named(schema: BaseSchema) -> None:
    create = made(schema)
    check = exchange(create.case, 201, thread())
    replayed = exchange(create.case, 201, thread(), Idempotent_Replayed="true")
    assert scope_problems(create, replayed, check) == [f"B got A's resource ({THREAD_ID})"]
    collided = exchange(create.case, 422, {})
    assert scope_problems(create, collided, check) == ["B's request collided with A's key (422)"]
    overwritten = exchange(create.case, 201, thread(OTHER_ID))
    check_now_b = exchange(create.case, 201, thread(OTHER_ID))
    assert scope_problems(create, overwritten, check_now_b) == [
        f"A's key now names B's resource ({OTHER_ID})"
    ]


def test_location_must_name_the_body_id(schema: BaseSchema) -> None:
    assert location_problems(made(schema, Location=f"/threads/{THREAD_ID}")) == []
    wrong = made(schema, Location=f"/threads/{OTHER_ID}")
    assert location_problems(wrong) == [
        f"Location /threads/{OTHER_ID} does not name the body's ID {THREAD_ID}"
    ]
    assert location_problems(made(schema)) == ["the answer has no Location header"]
    assert location_problems(made(schema, {"title": "x"})) == ["the answer has no ID at /id"]


def test_differing_fields_are_listed() -> None:
    assert differing_fields(thread(), thread()) == []
    assert differing_fields(thread(), thread(title="other", extra=1)) == ["title"]
    assert differing_fields([1], [2]) == ["the body"]


def test_a_changed_resource_is_noticed(schema: BaseSchema) -> None:
    case = create_case(schema)
    before = exchange(case, 200, thread())
    assert not changed(before, exchange(case, 200, thread()))
    assert changed(before, exchange(case, 200, thread(title="B was here")))
    assert changed(before, exchange(case, 404, {}))
    assert not changed(None, before)
