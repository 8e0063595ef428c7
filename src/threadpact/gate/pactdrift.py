"""The consumer contract tests, and the check that the committed pacts are what they write.

The consumer tests (pytest, pact-python) write pact files into THREADPACT_PACT_DIR.
The gate runs them into a scratch folder and compares the result with contracts/,
ignoring only what legitimately varies (the pact library's own version numbers).
"""

import difflib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from threadpact.gate.report import Finding, StepResult
from threadpact.pacts import BadPact, listed, load_document

CONSUMER_TESTS = Path("tests/contract/consumer")
PACT_DIR_ENV = "THREADPACT_PACT_DIR"


def normalised(document: Any) -> str:
    """A pact as stable text: sorted keys, without ``metadata.pactRust``."""
    if isinstance(document, dict):
        metadata = document.get("metadata")
        if isinstance(metadata, dict):
            document = {
                **document,
                "metadata": {k: v for k, v in metadata.items() if k != "pactRust"},
            }
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _read(path: Path) -> str:
    try:
        return normalised(load_document(path))
    except BadPact as exc:
        return f"<unreadable: {exc}>\n"


def compare(committed: Path, produced: Path) -> list[Finding]:
    """A finding for every pact file that is missing, extra or different."""
    findings: list[Finding] = []
    names = sorted(
        {str(p.relative_to(committed)) for p in listed(committed)}
        | {str(p.relative_to(produced)) for p in listed(produced)}
    )
    for name in names:
        old, new = committed / name, produced / name
        if not new.exists():
            findings.append(
                Finding(
                    rule="pact.drift",
                    where=f"contracts/{name}",
                    message="committed, but the consumer tests no longer write it; delete it",
                )
            )
            continue
        before = _read(old).splitlines(keepends=True) if old.exists() else []
        after = _read(new).splitlines(keepends=True)
        if before == after:
            continue
        diff = "".join(
            difflib.unified_diff(
                before, after, f"contracts/{name} (committed)", f"{name} (tests now)"
            )
        )
        findings.append(
            Finding(
                rule="pact.drift",
                where=f"contracts/{name}",
                message=(
                    "the consumer tests now write a different pact; run `make pacts` and commit"
                    if old.exists()
                    else "the consumer tests write a pact that is not committed; run `make pacts`"
                ),
                details=diff,
                reproduce="make pacts && git diff contracts/",
            )
        )
    return findings


def write_pacts(root: Path, destination: Path) -> subprocess.CompletedProcess[str]:
    """Run the consumer contract tests, writing their pacts into ``destination``."""
    env = {**os.environ, PACT_DIR_ENV: str(destination), "PACT_DO_NOT_TRACK": "true"}
    command = [
        sys.executable, "-m", "pytest", str(CONSUMER_TESTS), "-q",
        "-p", "no:cacheprovider", "-p", "no:randomly",
    ]  # fmt: skip
    return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)


def run_consumer_contracts(root: Path) -> StepResult:
    """Run the consumer contract tests and check the committed pacts against them."""
    started = time.monotonic()
    if not (root / CONSUMER_TESTS).is_dir():
        return StepResult(
            "consumer contracts", "skipped", 0.0, f"no {CONSUMER_TESTS} in this checkout"
        )
    with tempfile.TemporaryDirectory(prefix="threadpact-pacts-") as scratch:
        done = write_pacts(root, Path(scratch))
        seconds = time.monotonic() - started
        if done.returncode != 0:
            tail = "\n".join(done.stdout.strip().splitlines()[-30:])
            finding = Finding(
                rule="pact.consumer-tests",
                message=f"the consumer contract tests failed (pytest exit {done.returncode})",
                details=tail,
                reproduce=f"python -m pytest {CONSUMER_TESTS}",
            )
            return StepResult("consumer contracts", "failed", seconds, finding.message, [finding])
        findings = compare(root / "contracts", Path(scratch))
    passed = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if findings:
        summary = f"{len(findings)} pact file(s) differ from contracts/ ({passed})"
        return StepResult("consumer contracts", "failed", seconds, summary, findings)
    return StepResult("consumer contracts", "passed", seconds, f"{passed}; contracts/ is current")
