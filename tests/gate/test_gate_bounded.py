"""`threadpact gate` never hangs: faulty providers, deadlines, interrupts, a stale provider."""

import os
import re
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.fixtures.processes import ROOT, TOKENS, run_threadpact
from tests.gate.faulty_providers import start_faulty

BUDGET = 90.0
"""Seconds a gate run against a faulty provider may take here, offline steps included."""


def gate(
    folder: Path, *args: str, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = run_threadpact(
        "gate", "--report", str(folder / "report"), *args, cwd=cwd, env=env, timeout=300
    )
    return done, time.monotonic() - started


def junit_errors(folder: Path) -> dict[str, str]:
    """Step name -> the text of its error or failure, from the JUnit report."""
    root = ET.parse(folder / "report" / "threadpact.xml").getroot()
    found = {}
    for suite in root:
        for node in suite.iter():
            if node.tag in ("error", "failure"):
                name = str(suite.get("name"))
                found[name] = found.get(name, "") + (node.text or "") + node.get("message", "")
    return found


@pytest.mark.slow
@pytest.mark.parametrize(
    ("fault", "after", "code", "step", "cause"),
    [
        ("state-500", 0, 1, "verify", "could not set up the state"),
        ("state-silent", 0, 1, "verify", "no answer within 10 s"),
        ("exit", 3, 2, "verify", "the provider stopped accepting connections"),
        ("silent", 12, 2, "verify", "the provider stopped answering"),
        ("5xx", 40, 2, "fuzz", "the provider answers 5xx to everything"),
    ],
)
def test_the_gate_ends_within_its_budget_and_names_the_cause(
    tmp_path: Path, fault: str, after: int, code: int, step: str, cause: str
) -> None:
    server = start_faulty(fault, tmp_path, after)
    try:
        skip = ("--skip", "fuzz") if fault.startswith("state-") else ()
        done, seconds = gate(
            tmp_path,
            "--base-url", server.base_url,
            "--token", TOKENS["alice"], "--token", TOKENS["bob"],
            *skip,
        )  # fmt: skip
    finally:
        server.process.kill()  # it may hold connections open: no graceful stop
        server.process.wait()
    assert done.returncode == code, done.stdout + done.stderr
    assert seconds < BUDGET
    assert cause in junit_errors(tmp_path)[step]
    assert cause in (tmp_path / "report" / "threadpact.md").read_text()
    assert "Traceback" not in done.stdout + done.stderr


@pytest.mark.slow
def test_a_step_past_its_deadline_is_an_error_with_what_it_was_doing(tmp_path: Path) -> None:
    done, seconds = gate(tmp_path, "--timeout", "fuzz=4", "--skip", "consumer contracts")
    assert done.returncode == 2, done.stdout + done.stderr
    assert seconds < BUDGET
    assert "[5/6] verify               passed" in done.stdout
    assert "[6/6] fuzz                 error" in done.stdout
    message = junit_errors(tmp_path)["fuzz"]
    assert (
        "fuzz did not finish within its 4 s deadline (change it with --timeout 'fuzz=SECONDS')"
        in (message)
    )
    assert re.search(r"it was fuzzing (GET|POST|PATCH|DELETE) /threads", message), message
    assert "provider log (last lines):" in message


def test_a_bad_deadline_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for bad, says in [
        ("fuzz", "expected STEP=SECONDS"),
        ("fuzz=-1", "positive"),
        ("x=3", "one of"),
    ]:
        done = run_threadpact("gate", "--timeout", bad, "--report", str(tmp_path))
        assert done.returncode == 2
        assert says in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def ignore_sigint() -> None:
    """Start as a background job of a non-interactive shell would: SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_sigint() -> None:
    """Start as from a terminal: SIGINT at its default."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("signum", "start"),
    [
        (signal.SIGTERM, default_sigint),
        (signal.SIGINT, default_sigint),
        (signal.SIGINT, ignore_sigint),
    ],
    ids=["sigterm", "sigint", "sigint-inherited-ignored"],
)
def test_an_interrupted_gate_stops_its_provider_and_writes_what_it_has(
    tmp_path: Path, signum: signal.Signals, start: Callable[[], None]
) -> None:
    report = tmp_path / "report"
    gate_process = subprocess.Popen(
        [sys.executable, "-m", "threadpact", "gate", "--report", str(report)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=start,  # noqa: PLW1509 - only sets a signal disposition
    )
    assert gate_process.stdout is not None
    provider = ""
    for line in gate_process.stdout:
        if "provider: " in line:
            provider = line.split("provider: ", 1)[1].strip()
            break
    assert provider, "the gate never started its provider"
    time.sleep(1.5)
    gate_process.send_signal(signum)
    rest = gate_process.stdout.read()
    assert gate_process.wait(timeout=30) == 128 + signum, rest
    name = signal.Signals(signum).name
    summary = (report / "threadpact.md").read_text()
    assert summary.startswith(f"## threadpact gate: ⚠️ interrupted by {name}")
    assert f"not run: interrupted by {name}" in summary or f"| interrupted by {name} |" in summary
    suites = [suite.get("name") for suite in ET.parse(report / "threadpact.xml").getroot()]
    assert len(suites) == 6
    with pytest.raises(httpx.TransportError):
        httpx.get(provider + "/healthz", timeout=2)


@pytest.mark.slow
def test_regenerating_after_a_spec_change_fails_the_gate_fast_naming_the_field(
    tmp_path: Path,
) -> None:
    """A required field added to ServerThread, models regenerated, the gate run."""
    copy = tmp_path / "checkout"
    tracked = (
        subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, tracked):
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    spec = copy / "openapi.yaml"
    text = spec.read_text()
    old = "      required: [id, title, agent_id, model, provider, created_at, updated_at]\n"
    new = old.replace("updated_at]", "updated_at, pinned]")
    old, new = old + "      properties:\n", new + "      properties:\n"
    assert text.count(old) == 1
    spec.write_text(text.replace(old, new + "        pinned:\n          type: boolean\n"))
    # The checkout's own generated models, as its editable install would find them.
    env = {**os.environ, "PYTHONPATH": str(copy / "generated")}
    generated = run_threadpact("generate", cwd=copy, env=env)
    assert generated.returncode == 0, generated.stderr
    assert "pinned: bool" in (copy / "generated/threadpact_models/__init__.py").read_text()
    done, seconds = gate(tmp_path, cwd=copy, env=env)
    assert done.returncode == 1, done.stdout + done.stderr
    assert seconds < 60
    assert "'pinned' is a required property" in done.stdout
    errors = junit_errors(tmp_path)
    assert set(errors) >= {"consumer contracts", "crosscheck", "verify"}
    assert "could not set up the state" in errors["verify"]
