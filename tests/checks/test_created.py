"""Which answers the rules start from, and how they notice a vanished parent."""

from schemathesis.schemas import BaseSchema

from tests.checks.fakes import THREAD_ID, answer, create_case, operation, thread
from threadpact.checks.context import RunState, bound
from threadpact.checks.created import created, parent_case


def test_only_a_fresh_2xx_create_by_a_starts_a_rule(schema: BaseSchema) -> None:
    state = RunState(["token-a", "token-b"], samples=1, burst=2)
    fresh = state.issue_key(lambda _key: True)
    assert fresh is not None
    with bound(schema.config, state):
        assert created(create_case(schema, key="k-1"), answer(201, thread()), "r") is None
        assert created(create_case(schema, fresh), answer(422, {}), "r") is None
        as_b = create_case(schema, fresh, token="token-b")
        assert created(as_b, answer(201, thread()), "r") is None
        mine = created(create_case(schema, fresh), answer(201, thread()), "r")
        assert mine is not None
        assert (mine.label, mine.resource_id, mine.id_pointer) == (
            "POST /threads",
            THREAD_ID,
            "/id",
        )
        assert created(create_case(schema, fresh), answer(201, thread()), "r") is None


def test_outside_a_run_no_rule_starts(schema: BaseSchema) -> None:
    assert created(create_case(schema), answer(201, thread()), "r") is None


def test_a_message_hangs_under_its_thread(schema: BaseSchema) -> None:
    message = operation(schema, "createMessage").Case(
        path_parameters={"thread_id": THREAD_ID}, headers={"Authorization": "Bearer a"}
    )
    parent = parent_case(message)
    assert parent is not None
    assert parent.operation.label == "GET /threads/{thread_id}"
    assert parent.path_parameters == {"thread_id": THREAD_ID}
    assert parent.headers["Authorization"] == "Bearer a"
    assert parent_case(create_case(schema)) is None
