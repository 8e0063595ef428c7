"""Each finding points at the statement of the spec it enforces."""

from pathlib import Path

import pytest

from threadpact.checks import CONTRACT_RULES
from threadpact.gate.fuzz.statements import RULE_STATEMENTS, statement_for
from threadpact.openapi import Spec, load_spec
from threadpact.pointers import value_at

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> Spec:
    return Spec(load_spec(ROOT / "openapi.yaml"))


def test_every_mapped_rule_points_at_a_statement_of_the_spec(spec: Spec) -> None:
    assert set(RULE_STATEMENTS) <= set(CONTRACT_RULES)
    for rule, pointer in RULE_STATEMENTS.items():
        statement = value_at(spec.document, pointer)  # a sentence, or a schema's default
        assert isinstance(statement, str | int), f"{rule}: {pointer}"
        assert statement_for(spec, rule, "POST /threads") == pointer


def test_every_contract_rule_is_mapped() -> None:
    assert set(CONTRACT_RULES) == set(RULE_STATEMENTS)


def test_a_contract_rule_without_a_statement_has_none(
    spec: Spec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delitem(RULE_STATEMENTS, "id-authority")
    assert statement_for(spec, "id-authority", "POST /threads") == ""


@pytest.mark.parametrize(
    ("rule", "status", "message", "pointer"),
    [
        ("not_a_server_error", 500, "", "/paths/~1threads/post/responses"),
        (
            "missing_required_header",
            201,
            "Got 201 when missing required 'Idempotency-Key' header",
            "/components/parameters/IdempotencyKey",
        ),
        (
            "response_schema_conformance",
            201,
            "",
            "/paths/~1threads/post/responses/201/content/application~1json/schema",
        ),
        ("content_type_conformance", 400, "", "/components/responses/BadRequest/content"),
        ("negative_data_rejection", 201, "", "/paths/~1threads/post"),
    ],
)
def test_a_stock_check_points_at_what_it_held_the_operation_to(
    spec: Spec, rule: str, status: int, message: str, pointer: str
) -> None:
    assert statement_for(spec, rule, "POST /threads", status, message) == pointer


def test_an_unknown_operation_has_no_statement(spec: Spec) -> None:
    assert statement_for(spec, "not_a_server_error", "GET /nowhere", 500) == ""
