"""How engine events become findings, and what the step says when nothing ran."""

import uuid

import pytest
from schemathesis.core.failures import ServerError
from schemathesis.engine import events
from schemathesis.engine.recorder import ScenarioRecorder
from schemathesis.engine.run import PhaseName
from schemathesis.schemas import BaseSchema

from tests.checks.fakes import answer, create_case, load_schema
from tests.fixtures.processes import free_port
from threadpact.checks.context import Principal, RunState
from threadpact.checks.failures import ReplayDiffers
from threadpact.errors import UsageError
from threadpact.gate.fuzz import Collector, exercised, run_gate_fuzz

PRINCIPALS = [Principal("A", "token-a"), Principal("B", "token-b")]


@pytest.fixture(scope="module")
def schema() -> BaseSchema:
    return load_schema()


def finished(recorder: ScenarioRecorder) -> events.ScenarioFinished:
    return events.ScenarioFinished(
        id=uuid.uuid4(),
        phase=PhaseName.COVERAGE,
        suite_id=uuid.uuid4(),
        label=recorder.label,
        status=events.Status.FAILURE,
        recorder=recorder,
        elapsed_time=0.1,
        skip_reason=None,
        is_final=True,
    )


def test_a_builtin_failure_is_named_by_its_check_and_shows_the_exchange(
    schema: BaseSchema,
) -> None:
    case = create_case(schema, token="token-a")
    recorder = ScenarioRecorder(label="POST /threads")
    recorder.record_case(case=case)
    recorder.record_response(case_id=case.id, response=answer(500, {"detail": "boom"}))
    failure = ServerError(operation="POST /threads", status_code=500)
    curl = "curl -X POST -H 'Authorization: Bearer token-a' http://x/threads"
    for _ in range(2):
        recorder.record_check_failure(
            name="not_a_server_error", case_id=case.id, code_sample=curl, failure=failure
        )
    collector = Collector(PRINCIPALS)
    collector.add(finished(recorder))
    [finding] = collector.findings.values()
    assert finding.rule == "not_a_server_error"
    assert finding.where == "POST /threads"
    assert finding.reproduce == 'curl -X POST -H "Authorization: Bearer $TOKEN_A" http://x/threads'
    assert "<-- 500" in finding.details
    assert "token-a" not in finding.text()
    assert collector.requests == 1


def test_a_contract_violation_keeps_its_rule_and_evidence(schema: BaseSchema) -> None:
    case = create_case(schema)
    recorder = ScenarioRecorder(label="POST /threads")
    failure = ReplayDiffers(
        operation="POST /threads",
        summary="A replay made a second resource.",
        evidence="--> POST /threads\n    Authorization: Bearer token-b\n<-- 201 (status: token-b)",
        reproduce="curl ...",
    )
    recorder.record_check_failure(
        name="idempotency_replay", case_id=case.id, code_sample="", failure=failure
    )
    collector = Collector(PRINCIPALS)
    collector.add(finished(recorder))
    [finding] = collector.findings.values()
    assert (finding.rule, finding.message) == (
        "idempotency.replay",
        "A replay made a second resource.",
    )
    assert finding.details == (
        "--> POST /threads\n    Authorization: Bearer $TOKEN_B\n<-- 201 (status: token-b)"
    )


def test_engine_errors_become_error_findings() -> None:
    collector = Collector(PRINCIPALS)
    error = events.NonFatalError(
        error=RuntimeError("boom"), phase=None, label="GET /threads", related_to_operation=True
    )
    collector.add(error)
    [finding] = collector.findings.values()
    assert finding.rule == "fuzz.error"
    assert finding.where == "GET /threads"
    assert "boom" in finding.message
    assert collector.errors == 1


def test_a_run_where_no_create_succeeded_is_a_finding(schema: BaseSchema) -> None:
    state = RunState(["token-a"], samples=1, burst=2)
    [finding] = exercised(state, schema)
    assert finding.rule == "contract.not-exercised"
    assert "POST /threads" in finding.message
    state.claim("idempotency.replay", "POST /threads")
    assert exercised(state, schema) == []


def test_the_gate_entry_point_reports_an_unreachable_provider() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(UsageError, match="cannot reach the provider"):
        run_gate_fuzz(url, ["token-a", "token-b"], None, None, None, None)
