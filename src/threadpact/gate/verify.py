"""Provider verification: replay pact files against any running provider.

The verifier (pact-python's ``Verifier``) sets up each interaction's provider
state through the provider's state-change endpoint, sends the request, and matches
the answer against the pact. Failures become findings that name the interaction,
its state, what was expected and what came back.
"""

import json
import os
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from threadpact.errors import UsageError
from threadpact.gate.fdcapture import captured_stdout_fd
from threadpact.gate.report import Finding, StepResult
from threadpact.names import PROVIDER, STATES_PATH

REQUEST_TIMEOUT_MS = 10_000


def pact_files(directory: Path) -> list[Path]:
    """The pact JSON files in ``directory``, or a usage error if there are none."""
    if not directory.is_dir():
        raise UsageError(f"{directory}: no such pact directory")
    files = sorted(directory.glob("*.json"))
    if not files:
        raise UsageError(f"{directory}: no pact files (*.json) to verify")
    return files


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


def interactions_by_description(files: list[Path]) -> dict[str, str]:
    """``description -> "METHOD path (given states)"`` for every interaction in ``files``."""
    found: dict[str, str] = {}
    for file in files:
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for interaction in document.get("interactions", []):
            request = interaction.get("request", {})
            states = [state.get("name", "") for state in interaction.get("providerStates", [])]
            given = f" given {', '.join(states)}" if states else ""
            found[str(interaction.get("description"))] = (
                f"{request.get('method', '?')} {request.get('path', '?')}{given} ({file.name})"
            )
    return found


def findings_from(results: dict[str, Any], output: str, files: list[Path]) -> list[Finding]:
    """One finding per failed interaction."""
    known = interactions_by_description(files)
    found: list[Finding] = []
    for error in results.get("errors", []):
        interaction = str(error.get("interaction", "interaction"))
        description = interaction.rsplit(" - ", 1)[-1]
        summaries, evidence = _mismatch_lines(error.get("mismatch") or {})
        request = known.get(description, "")
        found.append(
            Finding(
                rule="pact.verification",
                where=f"'{description}'",
                message="; ".join(summaries) or "the provider's answer does not match the pact",
                details="\n".join(([f"interaction: {request}"] if request else []) + evidence),
            )
        )
    if not found and results.get("result") is False:
        found.append(
            Finding(rule="pact.verification", message="verification failed", details=output)
        )
    return found


def run_verify(
    base_url: str,
    pacts_dir: Path,
    *,
    states_url: str | None = None,
    token: str | None = None,
    provider: str = PROVIDER,
) -> StepResult:
    """Verify every pact in ``pacts_dir`` against the provider at ``base_url``."""
    from pact import Verifier

    started = time.monotonic()
    files = pact_files(pacts_dir)
    require_reachable(base_url)
    os.environ.setdefault("PACT_DO_NOT_TRACK", "true")
    host = urlsplit(base_url).hostname or "localhost"
    verifier = (
        Verifier(provider, host=host)
        .add_transport(url=base_url)
        .set_coloured_output(enabled=False)
        .set_request_timeout(REQUEST_TIMEOUT_MS)
        .set_error_on_empty_pact()
        .state_handler(states_url or base_url + STATES_PATH, teardown=True, body=True)
    )
    for file in files:
        verifier.add_source(file)
    if token:
        verifier.add_custom_header("Authorization", f"Bearer {token}")
    with captured_stdout_fd():
        try:
            verifier.verify()
            passed = True
        except RuntimeError:
            passed = False
    results = verifier.results
    output = verifier.output(strip_ansi=True)
    interactions = results.get("interactionResults", [])
    seconds = time.monotonic() - started
    names = ", ".join(file.name for file in files)
    if passed:
        summary = f"{len(interactions)} interaction(s) from {names} verified"
        return StepResult("verify", "passed", seconds, summary)
    findings = findings_from(results, output, files)
    summary = f"{len(findings)} of {len(interactions)} interaction(s) from {names} failed"
    return StepResult("verify", "failed", seconds, summary, findings)
