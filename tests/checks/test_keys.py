"""The hook that gives generated requests fresh keys."""

from collections.abc import Iterator

import pytest
from schemathesis import HookContext
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER
from schemathesis.schemas import BaseSchema

from tests.checks.fakes import create_case, operation
from threadpact.checks import keys
from threadpact.checks.context import RunState, bound


@pytest.fixture
def state(schema: BaseSchema) -> Iterator[RunState]:
    run = RunState(["token-a"], samples=1, burst=2)
    with bound(schema.config, run):
        yield run


def test_a_valid_generated_key_is_replaced_by_a_fresh_one(
    schema: BaseSchema, state: RunState
) -> None:
    case = create_case(schema, key="0")
    keys.fresh_idempotency_key(HookContext(), case, {})
    assert case.headers["Idempotency-Key"] != "0"
    assert state.is_issued(case.headers["Idempotency-Key"])


@pytest.mark.parametrize("key", [" 0", "", "a" * 256, "é"])
def test_a_malformed_key_stays_so_the_400_is_still_tested(
    schema: BaseSchema, state: RunState, key: str
) -> None:
    case = create_case(schema, key=key)
    keys.fresh_idempotency_key(HookContext(), case, {})
    assert case.headers["Idempotency-Key"] == key


def test_a_missing_key_stays_missing(schema: BaseSchema, state: RunState) -> None:
    case = create_case(schema)
    del case.headers["Idempotency-Key"]
    keys.fresh_idempotency_key(HookContext(), case, {})
    assert "Idempotency-Key" not in case.headers


def test_keys_the_checks_send_on_purpose_are_left_alone(
    schema: BaseSchema, state: RunState
) -> None:
    issued = state.issue_key(lambda _key: True)
    assert issued is not None
    case = create_case(schema, key=issued)
    keys.fresh_idempotency_key(HookContext(), case, {})
    assert case.headers["Idempotency-Key"] == issued


def test_operations_without_a_key_and_unbound_runs_are_untouched(schema: BaseSchema) -> None:
    case = create_case(schema, key="0")
    keys.fresh_idempotency_key(HookContext(), case, {})
    assert case.headers["Idempotency-Key"] == "0"
    read = operation(schema, "getThread").Case(headers={"Idempotency-Key": "0"})
    with bound(schema.config, RunState(["t"], samples=1, burst=2)):
        keys.fresh_idempotency_key(HookContext(), read, {})
    assert read.headers["Idempotency-Key"] == "0"


def test_the_hook_is_installed_once() -> None:
    keys.install()
    keys.install()
    hooks = GLOBAL_HOOK_DISPATCHER.get_all_by_name(keys.HOOK)
    assert hooks.count(keys.fresh_idempotency_key) == 1
