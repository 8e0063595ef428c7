"""The state a run shares with its checks."""

import threading

from schemathesis.schemas import BaseSchema

from tests.checks.fakes import create_case
from threadpact.checks.context import KEY_PREFIX, RunState, bound, state_for


def test_principals_are_named_a_and_b() -> None:
    state = RunState(["t1", "t2"], samples=1, burst=2)
    assert state.owner.authorization == "Bearer t1"
    assert state.other is not None
    assert state.other.variable == "$TOKEN_B"
    assert RunState(["t1"], samples=1, burst=2).other is None


def test_each_rule_gets_its_samples_per_operation() -> None:
    state = RunState(["t1"], samples=2, burst=2)
    claims = [state.claim("idempotency.replay", "POST /threads") for _ in range(3)]
    assert claims == [True, True, False]
    assert state.claim("idempotency.replay", "POST /threads/{thread_id}/messages")
    assert state.claim("id-authority", "POST /threads")
    assert state.examined["idempotency.replay"] == 3


def test_claims_are_counted_once_under_concurrency() -> None:
    state = RunState(["t1"], samples=5, burst=2)
    won: list[bool] = []
    workers = [
        threading.Thread(target=lambda: won.append(state.claim("r", "op"))) for _ in range(20)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert won.count(True) == 5


def test_issued_keys_are_fresh_valid_and_remembered() -> None:
    state = RunState(["t1"], samples=1, burst=2)
    first = state.issue_key(lambda _key: True)
    second = state.issue_key(lambda _key: True)
    assert first is not None
    assert first.startswith(KEY_PREFIX)
    assert first != second
    assert state.is_issued(first)
    assert not state.is_issued("k-1")
    assert not state.is_issued(None)


def test_a_key_schema_that_refuses_the_prefix_gets_a_plain_uuid() -> None:
    state = RunState(["t1"], samples=1, burst=2)
    key = state.issue_key(lambda key: "-" in key and not key.startswith(KEY_PREFIX))
    assert key is not None
    assert len(key) == 36
    assert state.issue_key(lambda _key: False) is None


def test_cases_find_their_run_only_while_it_is_bound(schema: BaseSchema) -> None:
    case = create_case(schema)
    state = RunState(["t1"], samples=1, burst=2)
    assert state_for(case) is None
    with bound(schema.config, state):
        assert state_for(case) is state
    assert state_for(case) is None


def test_notes_are_kept_once() -> None:
    state = RunState(["t1"], samples=1, burst=2)
    state.note("skipped")
    state.note("skipped")
    assert state.notes == ["skipped"]
