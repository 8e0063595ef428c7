"""The spec's links and the runtime expressions in them."""

from schemathesis.schemas import BaseSchema

from tests.checks.fakes import THREAD_ID, answer, create_case, operation, thread
from threadpact.checks import links


def test_the_id_pointer_is_the_one_the_links_use(schema: BaseSchema) -> None:
    assert links.id_pointer(operation(schema, "createThread"), 201) == "/id"
    assert links.id_pointer(operation(schema, "getThread"), 200) == links.DEFAULT_ID_POINTER


def test_link_expressions_read_the_request_and_the_answer(schema: BaseSchema) -> None:
    case = operation(schema, "createMessage").Case(
        path_parameters={"thread_id": THREAD_ID}, headers={"X-Trace": "t-1"}
    )
    response = answer(201, {"id": "m-1"}, {"Location": "/threads/x/messages/m-1"})
    assert links.evaluate("$response.body#/id", case, response) == "m-1"
    assert links.evaluate("$response.header.Location", case, response) == "/threads/x/messages/m-1"
    assert links.evaluate("$request.path.thread_id", case, response) == THREAD_ID
    assert links.evaluate("$request.header.X-Trace", case, response) == "t-1"
    assert links.evaluate("constant", case, response) == "constant"
    assert links.evaluate("$url", case, response) is None


def test_links_of_a_create_lead_to_every_operation_on_the_new_id(schema: BaseSchema) -> None:
    case = create_case(schema)
    targets = {t.name: t for t in links.link_targets(case, answer(201, thread()))}
    assert set(targets) == {
        "GetThread",
        "UpdateThread",
        "DeleteThread",
        "ListMessages",
        "CreateMessage",
    }
    assert targets["DeleteThread"].operation.label == "DELETE /threads/{thread_id}"
    assert targets["GetThread"].parameters == {"path": {"thread_id": THREAD_ID}}
    assert targets["GetThread"].expressions == {"thread_id": "$response.body#/id"}


def test_a_link_whose_value_is_missing_is_left_out(schema: BaseSchema) -> None:
    assert list(links.link_targets(create_case(schema), answer(201, {"title": "no id"}))) == []
