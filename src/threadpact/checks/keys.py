"""Give every generated request a fresh Idempotency-Key.

Schemathesis draws header values from the key's schema, so different cases often
share a key (``"0"``, ``"!"``, the spec's example). Same key with another body is
rightly a 422, which schemathesis's ``positive_data_acceptance`` would then report as
"valid data rejected"; same key with the same body is a replay, which hides whether a
create creates. Neither tests what the generated case means to test. So before each
call, a valid generated key is swapped for one this run issued and never used; a
malformed or missing key is left alone, so the negative cases still test the 400.
Key semantics (replay, mismatch, concurrency, scope) are tested on purpose by the
idempotency checks, which send keys they issued and are therefore left untouched.
"""

from typing import Any

from schemathesis import HookContext
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER

from threadpact.checks.context import state_for
from threadpact.checks.spec import idempotency_parameter
from threadpact.checks.types import AnyCase

HOOK = "before_call"


def fresh_idempotency_key(_context: HookContext, case: AnyCase, _kwargs: dict[str, Any]) -> None:
    """Swap a valid generated key for a fresh one (a ``before_call`` hook)."""
    state = state_for(case)
    parameter = idempotency_parameter(case.operation)
    if state is None or parameter is None or not case.headers:
        return
    key = case.headers.get(parameter.name)
    if key is None or state.is_issued(key) or not parameter.is_valid(key):
        return
    fresh = state.issue_key(parameter.is_valid)
    if fresh is not None:
        case.headers[parameter.name] = fresh


def install() -> None:
    """Register the hook once per process (schemathesis only calls global ``before_call`` hooks)."""
    if fresh_idempotency_key not in GLOBAL_HOOK_DISPATCHER.get_all_by_name(HOOK):
        GLOBAL_HOOK_DISPATCHER.register_hook_with_name(fresh_idempotency_key, HOOK)
