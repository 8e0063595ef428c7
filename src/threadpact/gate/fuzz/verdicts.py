"""What a reproduction script expects of the answers, per rule.

Every contract rule has a verdict of its own (:data:`CONTRACT`), derived from the
exchanges the run recorded: what the rule checks (statuses, bodies, headers, the items
and order of pages), judged again on the fresh server's answers. The bug reproduces
when any expectation fails. A stock check's verdict is its failing request's status;
an unknown rule falls back to the statuses the run saw.
"""

from threadpact.checks import CONTRACT_RULES
from threadpact.checks.failures import (
    COLLECTION_SCOPE,
    CONDITIONAL_UPDATE,
    DEFAULT_PAGE_SIZE,
    DELETION,
    EXACTLY_ONCE,
    FOREIGN_CURSOR,
    LIST_ORDER,
    UTC_TIMES,
    WRITE_FIDELITY,
)
from threadpact.gate.fuzz import list_verdicts, rule_verdicts
from threadpact.gate.fuzz.expect import (
    Declared,
    Expectation,
    Run,
    as_in_run,
    below,
    header_absent,
    header_is,
    location_names_id,
    not_2xx,
    not_same_answer,
    one_resource,
    same_answer,
    status_in,
    status_not_in,
)
from threadpact.gate.fuzz.steps import Step
from threadpact.names import AUTHORIZATION, IDEMPOTENT_REPLAYED

__all__ = ["CONTRACT", "REJECTING", "Expectation", "expectations"]

REJECTING = ("missing_required_header", "negative_data_rejection", "ignored_auth")
"""Stock checks that fail when an invalid request is accepted (answered 2xx)."""


def _missing_key(run: Run) -> list[Expectation]:
    return [status_in(len(run.steps), [400])]


def _replay(run: Run) -> list[Expectation]:
    create, replay = run.first + 1, run.first + 2
    return [same_answer(replay, create), header_is(replay, IDEMPOTENT_REPLAYED, "true")]


def _mismatch(run: Run) -> list[Expectation]:
    return [status_in(run.first + 2, [422])]


def _scope(run: Run) -> list[Expectation]:
    create, probe = run.first + 1, run.first + 2
    return [
        not_same_answer(probe, create),
        header_absent(probe, IDEMPOTENT_REPLAYED),
        status_not_in(probe, [409, 422]),
        below(probe, 500),
    ]


def _object_level(run: Run) -> list[Expectation]:
    return [
        status_in(number, [404])
        for number, step in enumerate(run.steps, start=1)
        if number > run.first + 1 and step.header(AUTHORIZATION) == run.principal_b
    ]


def _id_authority(run: Run) -> list[Expectation]:
    create = run.steps[run.first]
    found = [location_names_id(run.first + 1, create.id_pointer)] if create.answer_headers else []
    reads = [
        status_in(number, [200])
        for number, step in enumerate(run.steps, start=1)
        if number > run.first + 1 and step.method == "GET"
    ]
    return found + reads[:1]


def _concurrency(run: Run) -> list[Expectation]:
    burst = [number for number, step in enumerate(run.steps, start=1) if step.parallel]
    return [one_resource(burst, run.step(burst[0]).id_pointer)] if burst else []


CONTRACT = {
    "idempotency.missing-key": _missing_key,
    "idempotency.replay": _replay,
    "idempotency.mismatch": _mismatch,
    "idempotency.principal-scope": _scope,
    "access.object-level": _object_level,
    "id-authority": _id_authority,
    "idempotency.concurrency": _concurrency,
    COLLECTION_SCOPE: rule_verdicts.collection_scope,
    CONDITIONAL_UPDATE: rule_verdicts.conditional_update,
    WRITE_FIDELITY: rule_verdicts.write_fidelity,
    DELETION: rule_verdicts.deletion,
    LIST_ORDER: list_verdicts.order,
    EXACTLY_ONCE: list_verdicts.exactly_once,
    DEFAULT_PAGE_SIZE: list_verdicts.default_limit,
    FOREIGN_CURSOR: list_verdicts.foreign_cursor,
    UTC_TIMES: list_verdicts.utc,
}
"""Contract rule -> its expectations, given the run's steps and where the rule's own begin."""


def expectations(
    rule: str,
    steps: list[Step],
    first: int,
    principal_b: str = "",
    declared: Declared | None = None,
) -> list[Expectation]:
    """What the contract expects of the answers to ``steps`` (``first``: the rule's first step).

    ``principal_b`` is B's Authorization header value, to tell B's requests apart;
    ``declared`` what the spec says of the rule's collection.
    """
    if not steps:
        return []
    last = len(steps)
    found: list[Expectation] = []
    if rule in CONTRACT:
        found = CONTRACT[rule](Run(steps, first, principal_b, declared or Declared()))
    elif rule == "not_a_server_error":
        found = [below(last, 500)]
    elif rule in REJECTING:
        found = [not_2xx(last)]
    if found:
        return found
    if rule in CONTRACT_RULES:
        numbers = list(range(first + 1, last + 1))
        return [as_in_run(numbers, [steps[n - 1].status for n in numbers])]
    return [status_not_in(last, [steps[-1].status])]
