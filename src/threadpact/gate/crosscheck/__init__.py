"""The ``crosscheck`` step: every pact interaction is a legal exchange under the spec.

Bi-directional contract testing without a broker: the consumer's pact files (V2, V3
or V4, from any pact library, read by :mod:`threadpact.pacts`) are checked against
the spec alone, with no provider running. For each HTTP interaction, the example
values the pact records (what the consumer sends, and what it expects back) must be
allowed by the spec: the path and method, path, query and header parameters, the
request body, the status, the response headers the spec documents, and the response
body for its content type (:class:`threadpact.openapi.SchemaChecker`).

A negative test is legal: when the pact expects a 4xx, the request may break the spec
(that is the point of the interaction), so request mismatches are not reported; the
status and the problem body must still be documented. A path segment that is still a
provider-state expression (``${thread_id}``) is filled in by the provider, so only its
place in the path is checked.

Matching rules are judged too (:mod:`.matching_rules`): every value a request matcher
lets the consumer send must be legal (an error otherwise); a response matcher that
accepts values the spec never sends is a warning, as is what cannot be judged exactly
(a value set from a provider state). Warnings are reported and do not fail the step.

Provider-state names must be the contract's: the spec's ``x-provider-states`` list if
it has one, else :data:`threadpact.names.PROVIDER_STATES`.

A pact file that is not valid JSON, or not a pact, is a finding (``crosscheck.pact-file``)
rather than a usage error: it is a committed contract artifact, and the report should
name it next to the other findings while every other pact file is still checked.
"""

import time
from collections.abc import Sequence
from pathlib import Path

from referencing.exceptions import Unresolvable

from threadpact.errors import UsageError
from threadpact.gate.crosscheck.matching_rules import check_request_rules, check_response_rules
from threadpact.gate.crosscheck.request_rules import (
    check_path,
    check_query,
    check_request_body,
    check_request_headers,
    find_operation,
)
from threadpact.gate.crosscheck.response_rules import check_response
from threadpact.gate.crosscheck.security_rules import check_accept, check_security
from threadpact.gate.crosscheck.target import Mismatch, Target
from threadpact.gate.report import Finding, StepResult
from threadpact.openapi import Spec, load_spec
from threadpact.pacts import Interaction, find_pacts, read_pact

__all__ = ["Mismatch", "Target", "check_interaction", "check_pact", "load", "run_crosscheck"]


def check_interaction(target: Target, ex: Interaction) -> list[Mismatch]:
    """Every way one interaction breaks the spec."""
    found: list[Mismatch] = [
        Mismatch("crosscheck.provider-state", pointer, f"unknown provider state {name!r}")
        for pointer, name in ex.states
        if target.states is not None and name not in target.states
    ]
    operation = find_operation(target.spec, ex)
    if isinstance(operation, Mismatch):
        return [*found, operation]
    op, values = operation
    request = [
        *check_path(target, ex, op, values),
        *check_query(target, ex, op),
        *check_request_headers(target, ex, op),
        *check_request_body(target, ex, op),
        *check_security(target.spec, ex, op),
        *check_accept(target.spec, ex, op),
        *check_request_rules(target, ex, op),
    ]
    if not 400 <= ex.status < 500:
        found += request
    return found + list(check_response(target, ex, op)) + list(check_response_rules(target, ex, op))


def check_pact(target: Target, path: Path) -> tuple[int, list[tuple[str, Mismatch]]]:
    """``(interactions checked, [(interaction description, mismatch)])`` for one file."""
    checked, _skipped, found = check_pact_file(target, path)
    return checked, found


def check_pact_file(
    target: Target, path: Path
) -> tuple[int, list[str], list[tuple[str, Mismatch]]]:
    """HTTP interactions checked, the types of those skipped (not HTTP), and the mismatches."""
    pact = read_pact(path)
    found = [
        (
            description,
            Mismatch(
                "crosscheck.interaction" if description else "crosscheck.pact-file",
                problem.pointer,
                str(problem),
            ),
        )
        for description, problem in pact.problems
    ]
    for interaction in pact.interactions:
        found += [
            (interaction.description, mismatch)
            for mismatch in check_interaction(target, interaction)
        ]
    found.sort(key=lambda item: _order(item[1].pointer))
    return pact.count - len(pact.skipped), pact.skipped, found


def _order(pointer: str) -> int:
    """The interaction index a pointer is under, to report in file order."""
    parts = pointer.split("/")
    return int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else -1


def load(spec_path: Path) -> Target:
    """The spec, valid OpenAPI 3.0 or 3.1, or a usage error."""
    try:
        return Target(Spec(load_spec(spec_path)))
    except Unresolvable as exc:
        raise UsageError(f"{spec_path}: cannot resolve $ref {exc.ref!r}") from None


LENIENT = "crosscheck.matcher-lenient"


def fold_lenient(findings: list[Finding], path: Path, reproduce: str) -> list[Finding]:
    """One warning per pact file for its lenient response matchers, each listed in details.

    They are harmless (the consumer accepts more than the provider may send), so one
    line says so and the evidence stays in the details, not in the way of real findings.
    """
    lenient = [finding for finding in findings if finding.rule == LENIENT]
    if len(lenient) <= 1:
        return findings
    details = "\n".join(f"- {finding.where}: {finding.message}" for finding in lenient)
    folded = Finding(
        rule=LENIENT,
        message=f"{len(lenient)} response matchers accept values the spec never lets the "
        "provider send (harmless: the consumer is more lenient than the spec)",
        where=str(path),
        reproduce=reproduce,
        details=details,
        severity="warning",
    )
    return [finding for finding in findings if finding.rule != LENIENT] + [folded]


def run_crosscheck(pacts: Path | Sequence[Path], spec_path: Path) -> StepResult:
    """Check every pact file at ``pacts`` (files, or folders of them) against the spec."""
    started = time.perf_counter()
    locations = [pacts] if isinstance(pacts, Path) else list(pacts)
    if not locations:
        return StepResult("crosscheck", "skipped", 0.0, "no pact location configured")
    target = load(spec_path)
    files = [file for location in locations for file in find_pacts(location)]
    findings: list[Finding] = []
    total = 0
    skipped: list[str] = []
    for path in files:
        count, not_http, found = check_pact_file(target, path)
        total += count
        skipped += not_http
        reproduce = f"threadpact crosscheck --pacts {path} --spec {spec_path}"
        in_file = [
            Finding(
                rule=mismatch.rule,
                message=(f'"{description}": ' if description else "") + mismatch.message,
                where=f"{path}#{mismatch.pointer}" if mismatch.pointer else str(path),
                reproduce=reproduce,
                severity=mismatch.severity,
            )
            for description, mismatch in found
        ]
        findings += fold_lenient(in_file, path, reproduce)
    scope = f"{total} interaction(s) in {len(files)} pact file(s)"
    if skipped:
        kinds = ", ".join(sorted(set(skipped)))
        scope += f" ({len(skipped)} non-HTTP interaction(s) skipped: {kinds})"
    errors = sum(finding.severity == "error" for finding in findings)
    warnings = len(findings) - errors
    summary = (
        f"{scope}: {errors} finding(s)" if errors else f"{scope}: all legal under {spec_path.name}"
    )
    return StepResult(
        name="crosscheck",
        status="failed" if errors else "passed",
        seconds=time.perf_counter() - started,
        summary=summary + (f", {warnings} warning(s)" if warnings else ""),
        findings=findings,
    )
