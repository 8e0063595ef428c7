"""The one way a command prints a step's result, and the exit code it implies."""

import sys

from threadpact.gate.report import StepResult


def print_result(result: StepResult, *, evidence: bool = False) -> int:
    """Print ``result``; return 0 if it passed, 1 if it found something, 2 on an error.

    Without ``evidence`` (lint, crosscheck): one ``WHERE: rule: message`` line per
    finding on stdout (``rule (warning)`` for a warning, which does not fail), and the
    summary on stderr. With it (verify, fuzz): each finding in full, its evidence and
    how to reproduce it, then ``NAME: STATUS: summary``.
    """
    for finding in result.findings:
        if evidence:
            print(finding.text())
            print()
        else:
            marked = f"{finding.rule} (warning)" if finding.severity == "warning" else finding.rule
            print(f"{finding.where}: {marked}: {finding.message}")
    if evidence:
        print(f"{result.name}: {result.status}: {result.summary}")
    else:
        print(result.summary, file=sys.stderr)
    sys.stdout.flush()
    if result.status == "error":
        return 2
    return 0 if result.ok else 1
