"""The consumer contract tests, and the check that the committed pacts are what they write.

Every *owned* pact location has a command that runs the consumer tests writing it
(pact-python, pact-js, any): they must write their pact files into the folder that
THREADPACT_PACT_DIR names. The gate runs each command into a scratch folder and
compares the result with the committed location, ignoring only what legitimately
varies (the pact library's own version numbers).
"""

import difflib
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from threadpact.gate.report import Finding, StepResult
from threadpact.pacts import BadPact, listed, load_document

PACT_DIR_ENV = "THREADPACT_PACT_DIR"
OUTPUT_TAIL_LINES = 30


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


def compare(committed: Path, produced: Path, name: str, command: str) -> list[Finding]:
    """A finding for every pact file that is missing, extra or different.

    ``name`` is the committed location as configured; ``command`` writes it.
    """
    findings: list[Finding] = []
    if committed.is_file():
        produced_files = listed(produced)
        pairs = {committed.name: (committed, produced / committed.name)}
        for extra in produced_files:
            pairs.setdefault(extra.name, (committed.parent / extra.name, extra))
    else:
        pairs = {
            str(path.relative_to(committed)): (path, produced / path.relative_to(committed))
            for path in listed(committed)
        }
        for path in listed(produced):
            relative = str(path.relative_to(produced))
            pairs.setdefault(relative, (committed / relative, path))
    rewrite = f"run `{command}` with {PACT_DIR_ENV}={name} and commit"
    for relative in sorted(pairs):
        old, new = pairs[relative]
        where = str(Path(name) / relative) if not committed.is_file() else name
        if not new.exists():
            findings.append(
                Finding(
                    rule="pact.drift",
                    where=where,
                    message="committed, but the consumer tests no longer write it; delete it",
                )
            )
            continue
        before = _read(old).splitlines(keepends=True) if old.exists() else []
        after = _read(new).splitlines(keepends=True)
        if before == after:
            continue
        diff = "".join(
            difflib.unified_diff(before, after, f"{where} (committed)", f"{where} (tests now)")
        )
        findings.append(
            Finding(
                rule="pact.drift",
                where=where,
                message=(
                    f"the consumer tests now write a different pact; {rewrite}"
                    if old.exists()
                    else f"the consumer tests write a pact that is not committed; {rewrite}"
                ),
                details=diff,
                reproduce=f"{PACT_DIR_ENV}={name} {command} && git diff {name}",
            )
        )
    return findings


def expand(command: str) -> str:
    """The command with ``{python}`` as the interpreter running threadpact."""
    return command.replace("{python}", shlex.quote(sys.executable))


def write_pacts(command: str, root: Path, destination: Path) -> subprocess.CompletedProcess[str]:
    """Run a consumer-test command in ``root``, writing its pacts into ``destination``."""
    env = {**os.environ, PACT_DIR_ENV: str(destination), "PACT_DO_NOT_TRACK": "true"}
    return subprocess.run(
        ["/bin/sh", "-c", expand(command)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )


def check_location(location: Path, command: str, root: Path) -> tuple[list[Finding], str]:
    """Run one owned location's tests; the findings, and the tests' last line of output."""
    name = str(location.relative_to(root)) if location.is_relative_to(root) else str(location)
    with tempfile.TemporaryDirectory(prefix="threadpact-pacts-") as scratch:
        done = write_pacts(command, root, Path(scratch))
        output = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            tail = "\n".join(output.splitlines()[-OUTPUT_TAIL_LINES:])
            finding = Finding(
                rule="pact.consumer-tests",
                where=name,
                message=f"the consumer tests for {name} failed (exit {done.returncode})",
                details=tail,
                reproduce=expand(command),
            )
            return [finding], ""
        if not listed(Path(scratch)):
            finding = Finding(
                rule="pact.consumer-tests",
                where=name,
                message=f"the consumer tests for {name} passed but wrote no pact file into "
                f"{PACT_DIR_ENV}",
                details="\n".join(output.splitlines()[-OUTPUT_TAIL_LINES:]),
                reproduce=expand(command),
            )
            return [finding], ""
        findings = compare(location, Path(scratch), name, command)
    last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "tests passed"
    return findings, last


def run_consumer_contracts(owned: Sequence[tuple[Path, str]], root: Path) -> StepResult:
    """Run every owned location's consumer tests; check the committed pacts against them."""
    name = "consumer contracts"
    started = time.monotonic()
    if not owned:
        return StepResult(name, "skipped", 0.0, "no owned pact location configured")
    findings: list[Finding] = []
    outputs: list[str] = []
    for location, command in owned:
        found, last = check_location(location, command, root)
        findings += found
        if last:
            outputs.append(last)
    seconds = time.monotonic() - started
    where = ", ".join(
        str(location.relative_to(root)) if location.is_relative_to(root) else str(location)
        for location, _command in owned
    )
    if findings:
        summary = f"{len(findings)} problem(s) with the owned pacts in {where}"
        return StepResult(name, "failed", seconds, summary, findings)
    return StepResult(name, "passed", seconds, f"{'; '.join(outputs)}; {where} is current")
