"""Provider verification: replay pact files against any running provider.

The verifier (pact-python's ``Verifier``) runs once per interaction (once per
description, when several share one under different states), so a failure or a hang
is always pinned to it. It sets up the interaction's provider states
through a :class:`~threadpact.gate.staterelay.StateRelay` in front of the provider's
state-change endpoint, sends the request, and matches the answer against the pact.
Failures become findings that name the interaction, its states, what was expected
and what came back; a state the provider could not set up is a ``pact.state-setup``
finding with the provider's status and body, and the other interactions still run.
"""

import contextlib
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from threadpact.errors import UsageError
from threadpact.gate.activity import doing
from threadpact.gate.deadlines import REQUEST_TIMEOUT
from threadpact.gate.monitor import log_tail
from threadpact.gate.report import Finding, StepResult
from threadpact.gate.silence import native_output_silenced
from threadpact.gate.staterelay import StateFailure, StateRelay
from threadpact.names import PROVIDER, STATES_PATH
from threadpact.pacts import (
    BadPact,
    Interaction,
    as_dict,
    find_pacts,
    load_document,
    read_pact,
)

RELAY_MARGIN = 2.0
"""The verifier waits this much longer than the relay, so the relay's answer always comes."""
RUST_REGEX_META = frozenset("\\.+*?()|[]{}^$#&-~")


def http_interactions(file: Path) -> list[Interaction]:
    """The HTTP interactions of one pact file; a usage error if it cannot be read."""
    pact = read_pact(file)
    for description, problem in pact.problems:
        if not description:
            raise UsageError(f"{file}: not a readable pact file: {problem}")
    return pact.interactions


def exactly(text: str) -> str:
    """A regular expression (the verifier's Rust syntax) matching ``text`` and nothing else."""
    return "^" + "".join("\\" + c if c in RUST_REGEX_META else c for c in text) + "$"


def require_reachable(base_url: str) -> None:
    """A usage error, not a contract failure, when nothing answers at ``base_url``."""
    try:
        httpx.get(base_url, timeout=5)
    except httpx.HTTPError as exc:
        raise UsageError(f"cannot reach the provider at {base_url}: {exc}") from None


def _mismatch_lines(mismatch: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Summary lines and expected/actual evidence from one verifier mismatch record."""
    if mismatch.get("type") == "error":
        return [str(mismatch.get("message", "verification error"))], []
    summaries: list[str] = []
    evidence: list[str] = []
    for item in mismatch.get("mismatches", []):
        kind = str(item.get("type", "Mismatch"))
        where = item.get("path") or item.get("key") or ""
        text = str(item.get("mismatch", "")).strip()
        summaries.append(f"{kind} {where}".strip() + f": {text}")
        if "expected" in item or "actual" in item:
            evidence.append(f"{kind} {where}".strip())
            evidence.append(f"  expected: {item.get('expected')}")
            evidence.append(f"  actual:   {item.get('actual')}")
    return summaries, evidence


def state_finding(case: Interaction, failure: StateFailure, log: Path | None) -> Finding:
    """A state the provider could not set up, named with its interaction."""
    # Pact calls the state endpoint with an empty name for an interaction without states.
    state = f"'{failure.state}'" if failure.state else "(pact's unnamed generic state)"
    details = [f"interaction: {case.label()}", f"state: {state} ({failure.action})"]
    details.append(f"provider answered: {failure.reason}")
    if failure.body:
        details += ["provider body:", failure.body]
    if log is not None:
        details += ["provider log (last lines):", log_tail(log)]
    return Finding(
        rule="pact.state-setup",
        where=f"'{case.description}'",
        message=f"the provider could not set up the state {state}: {failure.reason}",
        details="\n".join(details),
    )


def mismatch_finding(case: Interaction, result: dict[str, Any], output: str) -> Finding:
    """The finding for one failed interaction result of the verifier."""
    summaries, evidence = _mismatch_lines(result.get("mismatch") or {})
    return Finding(
        rule="pact.verification",
        where=f"'{case.description}'",
        message="; ".join(summaries) or "the provider's answer does not match the pact",
        details="\n".join([f"interaction: {case.label()}", *(evidence or [output])]).rstrip(),
    )


def pair_results(
    group: list[Interaction], results: list[dict[str, Any]]
) -> list[tuple[Interaction, dict[str, Any]]]:
    """Each interaction of a group (one description) with its result, matched by states."""
    left = list(group)
    paired = []
    for result in results:
        states = tuple(str(name) for name in result.get("providerStates") or [])
        case = next((c for c in left if c.state_names == states), left[0])
        left.remove(case)
        paired.append((case, result))
    return paired


def gone(
    case: Interaction, reason: str, findings: list[Finding], seconds: float, log: Path | None
) -> StepResult:
    """The step's end when the provider as a whole stops working mid-run."""
    message = f"the provider {reason}; verify was verifying '{case.description}'"
    details = f"provider log (last lines):\n{log_tail(log)}" if log is not None else ""
    broken = Finding(rule="provider.broken", message=message, details=details)
    return StepResult("verify", "error", seconds, message, [*findings, broken])


@dataclass(frozen=True)
class VerifierSettings:
    """How the verifier reaches the provider."""

    base_url: str
    provider: str
    states_url: str
    token: str | None
    request_timeout: float


def verify_case(case: Interaction, settings: VerifierSettings) -> tuple[dict[str, Any], str]:
    """Run the verifier on the interactions with ``case``'s description: results JSON, output.

    Whether each passed is in the results; the verifier's own exception for a failure
    says nothing more.
    """
    from pact import Verifier

    host = urlsplit(settings.base_url).hostname or "localhost"
    verifier = (
        Verifier(settings.provider, host=host)
        .add_transport(url=settings.base_url)
        .set_coloured_output(enabled=False)
        .set_request_timeout(int((settings.request_timeout + RELAY_MARGIN) * 1000))
        .state_handler(settings.states_url, teardown=True, body=True)
        .add_source(case.file)
        .filter(exactly(case.description))
    )
    if settings.token:
        verifier.add_custom_header("Authorization", f"Bearer {settings.token}")
    with contextlib.suppress(RuntimeError):
        verifier.verify()
    return verifier.results, verifier.output(strip_ansi=True)


def provider_name(file: Path) -> str:
    """The provider a pact file is for (its ``provider.name``), which the verifier asks for."""
    with contextlib.suppress(BadPact):
        named = as_dict(as_dict(load_document(file)).get("provider")).get("name")
        if isinstance(named, str) and named:
            return named
    return PROVIDER


def run_verify(
    base_url: str,
    pacts: Path | Sequence[Path],
    *,
    states_url: str | None = None,
    token: str | None = None,
    request_timeout: float = REQUEST_TIMEOUT,
    provider_log: Path | None = None,
) -> StepResult:
    """Verify every pact at ``pacts`` (files or folders) against the provider at ``base_url``.

    ``provider_log``, when the caller started the provider, is quoted in the findings
    of states the provider could not set up.
    """
    started = time.monotonic()
    locations = [pacts] if isinstance(pacts, Path) else list(pacts)
    if not locations:
        return StepResult("verify", "skipped", 0.0, "no pact location configured")
    files = [file for location in locations for file in find_pacts(location)]
    cases = [case for file in files for case in http_interactions(file)]
    require_reachable(base_url)
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    target = states_url or base_url + STATES_PATH
    findings: list[Finding] = []
    failed = 0
    groups: dict[tuple[Path, str], list[Interaction]] = {}
    for case in cases:
        groups.setdefault((case.file, case.description), []).append(case)
    with (
        StateRelay(target, timeout=request_timeout, base_url=base_url) as relay,
        native_output_silenced(),
    ):
        for group in groups.values():
            first = group[0]
            provider = provider_name(first.file)
            settings = VerifierSettings(base_url, provider, relay.url, token, request_timeout)
            doing(f"verifying '{first.description}': {first.label()}")
            results, output = verify_case(first, settings)
            outcomes = results.get("interactionResults", [])
            if len(outcomes) != len(group):
                raise UsageError(
                    f"{first.file}: the verifier did not find the interaction "
                    f"'{first.description}' (is the file a pact for {provider}?)"
                )
            if relay.broken is not None:
                return gone(first, relay.broken, findings, time.monotonic() - started, provider_log)
            state_failures = [f for f in relay.take_failures() if f.action == "setup"]
            for case, outcome in pair_results(group, outcomes):
                if outcome.get("result") == "OK":
                    continue
                failed += 1
                # Pact also sets up an unnamed generic state for an interaction without any.
                setup = next(
                    (f for f in state_failures if f.state in case.state_names),
                    state_failures[0] if state_failures else None,
                )
                if setup is not None:
                    state_failures.remove(setup)
                    findings.append(state_finding(case, setup, provider_log))
                else:
                    findings.append(mismatch_finding(case, outcome, output))
    seconds = time.monotonic() - started
    names = ", ".join(file.name for file in files)
    if not failed:
        summary = f"{len(cases)} interaction(s) from {names} verified"
        return StepResult("verify", "passed", seconds, summary)
    summary = f"{failed} of {len(cases)} interaction(s) from {names} failed"
    return StepResult("verify", "failed", seconds, summary, findings)
