"""The ``lint`` step: the spec is valid OpenAPI (3.0 or 3.1) and obeys the thread ID contract.

Each rule is a small generator registered with :func:`rule`; it reads the spec through
:class:`threadpact.openapi.Spec`, yields ``(JSON pointer, message)`` pairs and never
raises on a malformed spec (the ``lint.openapi`` and ``lint.ref`` rules report what is
malformed). A finding about a shared component (``#/components/responses/BadRequest``)
names the component once.
"""

import time
from pathlib import Path
from typing import Any

from referencing.exceptions import Unresolvable

from threadpact.gate.lint import create_rules, spec_rules  # noqa: F401 - they register the rules
from threadpact.gate.lint.registry import LINT_RULES
from threadpact.gate.report import Finding, StepResult
from threadpact.openapi import Spec, openapi_version, read_spec, validation_errors

__all__ = ["LINT_RULES", "lint_document", "run_lint"]


def lint_document(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Every finding as ``(rule, pointer, message)``, each pointer once per rule."""
    found: list[tuple[str, str, str]] = []
    try:
        found += [("lint.openapi", ptr, msg) for ptr, msg in validation_errors(document)]
    except Unresolvable as exc:
        found.append(("lint.openapi", "/", f"validation stopped at the unresolvable {exc.ref!r}"))
    spec = Spec(document)
    for name, check in LINT_RULES.items():
        found += [(name, ptr, msg) for ptr, msg in check(spec)]
    seen: set[tuple[str, str, str]] = set()
    unique: list[tuple[str, str, str]] = []
    for name, ptr, msg in found:
        key = (name, ptr, msg if name == "lint.openapi" else "")
        if key not in seen:
            seen.add(key)
            unique.append((name, ptr, msg))
    return unique


def run_lint(spec_path: Path) -> StepResult:
    """Lint one spec file; a missing or unparsable file raises UsageError."""
    started = time.perf_counter()
    document = read_spec(spec_path)
    findings = [
        Finding(rule=name, message=msg, where=ptr, reproduce=f"threadpact lint {spec_path}")
        for name, ptr, msg in lint_document(document)
    ]
    summary = (
        f"{spec_path.name}: {len(findings)} finding(s)"
        if findings
        else (
            f"{spec_path.name}: valid OpenAPI {openapi_version(document)}; "
            f"all {len(LINT_RULES)} contract rules hold"
        )
    )
    return StepResult(
        name="lint",
        status="failed" if findings else "passed",
        seconds=time.perf_counter() - started,
        summary=summary,
        findings=findings,
    )
