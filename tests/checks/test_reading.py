"""Reading a created resource back."""

import pytest
from schemathesis.schemas import BaseSchema

from tests.checks.fakes import THREAD_ID, answer, create_case, operation, thread
from threadpact.checks.context import RunState
from threadpact.checks.links import link_targets
from threadpact.checks.reading import location_case, match_path, reads_the_id, target_case


@pytest.mark.parametrize(
    ("template", "path", "expected"),
    [
        ("/threads/{thread_id}", "/threads/abc", {"thread_id": "abc"}),
        ("/threads/{t}/messages/{m}", "/threads/1/messages/2", {"t": "1", "m": "2"}),
        ("/threads/{thread_id}", "/threads/abc/messages", None),
        ("/threads", "/threads", {}),
        ("/a.b/{x}", "/aXb/1", None),
    ],
)
def test_paths_match_their_templates(
    template: str, path: str, expected: dict[str, str] | None
) -> None:
    assert match_path(template, path) == expected


def test_only_a_get_ending_in_the_new_id_reads_it(schema: BaseSchema) -> None:
    targets = {t.name: t for t in link_targets(create_case(schema), answer(201, thread()))}
    reading = {name for name, target in targets.items() if reads_the_id(target, "/id")}
    assert reading == {"GetThread"}


def test_a_linked_request_runs_as_the_given_principal_with_a_fresh_key(
    schema: BaseSchema,
) -> None:
    state = RunState(["token-a", "token-b"], samples=1, burst=2)
    assert state.other is not None
    targets = {t.name: t for t in link_targets(create_case(schema), answer(201, thread()))}
    built = target_case(create_case(schema), targets["CreateMessage"], state.other, state)
    assert built is not None
    assert built.path_parameters == {"thread_id": THREAD_ID}
    assert built.headers["Authorization"] == "Bearer token-b"
    assert state.is_issued(built.headers["Idempotency-Key"])
    assert built.body == {"role": "user", "content": "Where is my refund?"}


def test_the_location_header_leads_to_the_read_operation(schema: BaseSchema) -> None:
    state = RunState(["token-a"], samples=1, burst=2)
    response = answer(201, thread(), {"Location": f"/threads/{THREAD_ID}"})
    built = location_case(create_case(schema), response, state.owner)
    assert built is not None
    assert built.operation.label == "GET /threads/{thread_id}"
    assert built.path_parameters == {"thread_id": THREAD_ID}
    assert location_case(create_case(schema), answer(201, thread()), state.owner) is None
    assert operation(schema, "getThread").label == built.operation.label
