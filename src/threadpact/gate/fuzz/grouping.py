"""One finding per root cause: which tripped checks are the same problem.

Every check that fails is a *trip*. Trips become findings keyed by (operation,
root-cause rule), by this precedence:

1. A contract rule is a root cause of its own. Each contract rule sends its own
   requests, so two contract rules are never merged.
2. Stock checks that failed on the same request (test case) as a contract rule are
   absorbed by that rule (the first in ``CONTRACT_RULES`` order): the contract rule
   names the promise, the stock checks are symptoms of the same answer.
3. Stock checks that failed on the same request without a contract rule are
   absorbed by the first of them in :data:`STOCK_PRECEDENCE` (a 5xx explains a
   response that also breaks its schema).
4. A stock failure on a request without a valid Idempotency-Key that the server
   accepted (2xx) is absorbed by ``idempotency.missing-key`` on the same operation,
   when that rule was broken there: the server ignoring the key is one root cause,
   whichever request showed it.

Each finding keeps the evidence of its first trip and lists the absorbed rules as
``also``.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from threadpact.checks import CONTRACT_RULES
from threadpact.checks.failures import MISSING_KEY
from threadpact.gate.report import Finding

STOCK_PRECEDENCE = (
    "not_a_server_error",
    "status_code_conformance",
    "missing_required_header",
    "ignored_auth",
    "negative_data_rejection",
    "positive_data_acceptance",
    "use_after_free",
    "ensure_resource_availability",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
)
"""Which stock check leads when several fail on one request; others follow by name."""


@dataclass(frozen=True)
class Trip:
    """One failed check on one request, and its finding if it leads a group."""

    rule: str
    where: str
    case: str
    """The request (test case) it failed on, unique within the run."""
    contract: bool
    finding: Finding
    keyless: bool = False
    """The request carried no valid Idempotency-Key and the server accepted it."""
    script: Callable[[], str] | None = None
    """Renders the reproduction script, for the trips whose finding is kept."""


def _rank(rule: str) -> tuple[int, str]:
    order = (*CONTRACT_RULES, *STOCK_PRECEDENCE)
    return (order.index(rule) if rule in order else len(order), rule)


def _leaders(trips: Sequence[Trip]) -> dict[int, tuple[str, str]]:
    """Each trip's group key: (root-cause rule, operation)."""
    by_case: dict[str, list[int]] = {}
    for index, trip in enumerate(trips):
        by_case.setdefault(trip.case, []).append(index)
    missing_key = {trip.where for trip in trips if trip.rule == MISSING_KEY}
    lead: dict[int, tuple[str, str]] = {}
    for indexes in by_case.values():
        ranked = sorted(indexes, key=lambda i: (not trips[i].contract, _rank(trips[i].rule)))
        head = trips[ranked[0]]
        key = (head.rule, head.where)
        if not head.contract and head.keyless and head.where in missing_key:
            key = (MISSING_KEY, head.where)
        for index in ranked:
            trip = trips[index]
            lead[index] = (trip.rule, trip.where) if trip.contract else key
    return lead


def group(trips: Sequence[Trip]) -> list[Finding]:
    """One finding per (root-cause rule, operation), in the order they first tripped."""
    lead = _leaders(trips)
    firsts: dict[tuple[str, str], Trip] = {}
    also: dict[tuple[str, str], set[str]] = {}
    for index, trip in enumerate(trips):
        key = lead[index]
        if (trip.rule, trip.where) == key:
            firsts.setdefault(key, trip)
        else:
            also.setdefault(key, set()).add(trip.rule)
    findings = []
    for key, trip in firsts.items():
        others = tuple(sorted(also.get(key, set()) - {trip.rule}, key=_rank))
        script = trip.script() if trip.script is not None else ""
        findings.append(replace(trip.finding, also=others, script=script))
    return findings
