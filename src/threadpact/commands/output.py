"""How the one-shot commands print a step's result."""

import sys

from threadpact.gate.report import StepResult


def print_findings(result: StepResult) -> int:
    """One ``WHERE: rule: message`` line per finding on stdout, the summary on stderr.

    Returns the exit code: 0 if the step passed, 1 if it found something.
    """
    for finding in result.findings:
        print(f"{finding.where}: {finding.rule}: {finding.message}")
    print(result.summary, file=sys.stderr)
    return 0 if result.ok else 1
