"""What a reproduction script expects of the answers, per rule.

An expectation is plain data (a dict) that the script's closing Python lines
evaluate against the answers the fresh server gave: the bug reproduces when any
expectation fails. Steps are numbered from 1, as in the script. Rules without a
specific expectation fall back to the statuses the run saw: the bug reproduces if
the rule's own requests get the same statuses again (for a stock check: its one
failing request). That cannot tell a wrong body from a right one; rules whose
failures show in bodies need an entry in :data:`CONTRACT`.
"""

from collections.abc import Callable, Sequence
from typing import Any

from threadpact.checks import CONTRACT_RULES
from threadpact.gate.fuzz.steps import Step
from threadpact.names import AUTHORIZATION, IDEMPOTENT_REPLAYED

Expectation = dict[str, Any]
"""``{"kind": ..., "step": n, ...}``; see ``VERDICT`` in :mod:`threadpact.gate.fuzz.script`."""
REJECTING = ("missing_required_header", "negative_data_rejection", "ignored_auth")
"""Stock checks that fail when an invalid request is accepted (answered 2xx)."""


def status_in(step: int, statuses: Sequence[int]) -> Expectation:
    """The answer's status is one of ``statuses``."""
    return {"kind": "status_in", "step": step, "statuses": list(statuses)}


def status_not_in(step: int, statuses: Sequence[int]) -> Expectation:
    """The answer's status is none of ``statuses``."""
    return {"kind": "status_not_in", "step": step, "statuses": list(statuses)}


def below(step: int, limit: int) -> Expectation:
    """The answer's status is below ``limit``."""
    return {"kind": "below", "step": step, "limit": limit}


def not_2xx(step: int) -> Expectation:
    """The request was rejected."""
    return {"kind": "not_2xx", "step": step}


def same_answer(step: int, other: int) -> Expectation:
    """The same status and byte-for-byte the same body as another answer."""
    return {"kind": "same_answer", "step": step, "as": other}


def not_same_answer(step: int, other: int) -> Expectation:
    """Not a 2xx with byte-for-byte another answer's body."""
    return {"kind": "not_same_answer", "step": step, "as": other}


def header_is(step: int, name: str, value: str) -> Expectation:
    """An answer header has a value."""
    return {"kind": "header_is", "step": step, "name": name, "value": value}


def header_absent(step: int, name: str) -> Expectation:
    """An answer header is absent."""
    return {"kind": "header_absent", "step": step, "name": name}


def location_names_id(step: int, pointer: str) -> Expectation:
    """The answer's Location ends with the ID in its body."""
    return {"kind": "location_names_id", "step": step, "pointer": pointer}


def one_resource(steps: Sequence[int], pointer: str) -> Expectation:
    """The 2xx answers name one resource, and none is a 5xx."""
    return {"kind": "one_resource", "steps": list(steps), "pointer": pointer}


def as_in_run(steps: Sequence[int], statuses: Sequence[int]) -> Expectation:
    """Not every answer has the status the run saw (else the run's failure recurs)."""
    return {"kind": "as_in_run", "steps": list(steps), "statuses": list(statuses)}


def _as_other(step: Step, principal_b: str) -> bool:
    return step.header(AUTHORIZATION) == principal_b


Rule = Callable[[list[Step], int, str], list[Expectation]]


def _missing_key(steps: list[Step], _first: int, _b: str) -> list[Expectation]:
    return [status_in(len(steps), [400])]


def _replay(_steps: list[Step], first: int, _b: str) -> list[Expectation]:
    create, replay = first + 1, first + 2
    return [same_answer(replay, create), header_is(replay, IDEMPOTENT_REPLAYED, "true")]


def _mismatch(_steps: list[Step], first: int, _b: str) -> list[Expectation]:
    return [status_in(first + 2, [422])]


def _scope(_steps: list[Step], first: int, _b: str) -> list[Expectation]:
    create, probe = first + 1, first + 2
    return [
        not_same_answer(probe, create),
        header_absent(probe, IDEMPOTENT_REPLAYED),
        status_not_in(probe, [409, 422]),
        below(probe, 500),
    ]


def _object_level(steps: list[Step], first: int, b: str) -> list[Expectation]:
    return [
        status_in(number, [404])
        for number, step in enumerate(steps, start=1)
        if number > first + 1 and _as_other(step, b)
    ]


def _id_authority(steps: list[Step], first: int, _b: str) -> list[Expectation]:
    create = steps[first]
    found = [location_names_id(first + 1, create.id_pointer)] if create.answer_headers else []
    reads = [
        status_in(number, [200])
        for number, step in enumerate(steps, start=1)
        if number > first + 1 and step.method == "GET"
    ]
    return found + reads[:1]


def _concurrency(steps: list[Step], _first: int, _b: str) -> list[Expectation]:
    burst = [number for number, step in enumerate(steps, start=1) if step.parallel]
    return [one_resource(burst, steps[burst[0] - 1].id_pointer)] if burst else []


CONTRACT: dict[str, Rule] = {
    "idempotency.missing-key": _missing_key,
    "idempotency.replay": _replay,
    "idempotency.mismatch": _mismatch,
    "idempotency.principal-scope": _scope,
    "access.object-level": _object_level,
    "id-authority": _id_authority,
    "idempotency.concurrency": _concurrency,
}
"""Contract rule -> its expectations, given the steps and where the rule's own begin."""


def expectations(
    rule: str, steps: list[Step], first: int, principal_b: str = ""
) -> list[Expectation]:
    """What the contract expects of the answers to ``steps`` (``first``: the rule's first step).

    ``principal_b`` is B's Authorization header value, to tell B's requests apart.
    """
    if not steps:
        return []
    last = len(steps)
    found: list[Expectation] = []
    if rule in CONTRACT:
        found = CONTRACT[rule](steps, first, principal_b)
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
