"""Findings a person can act on: no garbled text, one per root cause, scripts that replay.

Each test fuzzes a deliberately broken provider of tests/gate/broken_providers.py,
then runs what the report says against fresh providers (new processes, empty stores).
"""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT, TOKENS, Server, free_port
from tests.gate.fuzzing import BOUNDARIES, QUICK, FuzzRun, fuzz, replay, start_broken
from threadpact.conformance import processes

pytestmark = pytest.mark.fuzz

SHORT = {"alice": "ta", "bob": "tb"}
"""Two-letter tokens: "ta" is in "status", "detail", "ETag"."""


def start_short(bug: str, folder: Path) -> Server:
    """A broken provider that accepts only the two-letter tokens."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "tests.gate.broken_providers:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    return processes.start_process(
        command, port, folder / "short.log", {"BUG": bug}, tokens=SHORT, cwd=ROOT
    )


def fuzz_short(server: Server, folder: Path) -> FuzzRun:
    """``threadpact fuzz`` with the two-letter tokens."""
    report = folder / "report"
    command = [
        sys.executable, "-m", "threadpact", "fuzz", "--base-url", server.base_url,
        "--token", SHORT["alice"], "--token", SHORT["bob"],
        "--spec", str(ROOT / "openapi.yaml"), "--report", str(report), *BOUNDARIES,
    ]  # fmt: skip
    done = subprocess.run(
        command, check=False, capture_output=True, text=True, timeout=240, cwd=folder
    )
    return FuzzRun(done.returncode, done.stdout, done.stderr, report)


def everything(run: FuzzRun) -> str:
    """Output, reports and scripts."""
    files = sorted(run.report.glob("fuzz.*")) + sorted(run.report.glob("repro/*.sh"))
    return run.stdout + run.stderr + "".join(path.read_text() for path in files)


def findings(run: FuzzRun, rule: str) -> list[str]:
    """The headline of every finding of ``rule``."""
    return re.findall(rf"^\[{re.escape(rule)}\] .*$", run.stdout, re.MULTILINE)


@pytest.fixture(scope="module")
def short_run(tmp_path_factory: pytest.TempPathFactory) -> FuzzRun:
    """A provider that ignores the key, fuzzed with two-letter tokens."""
    folder = tmp_path_factory.mktemp("short")
    server = start_short("ignore-key", folder)
    try:
        return fuzz_short(server, folder)
    finally:
        server.stop()


def test_short_tokens_garble_nothing_and_never_show(short_run: FuzzRun) -> None:
    assert short_run.returncode == 1, short_run.stdout + short_run.stderr
    text = everything(short_run)
    assert "$TOKEN_A" in text
    assert re.search(r"\w\$TOKEN_[AB]", text) is None, "a token was replaced inside a word"
    assert re.search(r"Bearer t[ab]\b", text) is None, "a token is shown"
    assert "status" in text
    assert "Location" in text
    assert (short_run.report / "fuzz.md").read_text().count("Bearer $TOKEN_A") > 0


def test_one_finding_per_operation_for_the_missing_key(short_run: FuzzRun) -> None:
    missing = findings(short_run, "idempotency.missing-key")
    assert len(missing) == 2, short_run.stdout
    assert {line.split(":")[0].split("] ")[1] for line in missing} == {
        "POST /threads",
        "POST /threads/{thread_id}/messages",
    }
    for rule in ("missing_required_header", "negative_data_rejection"):
        assert findings(short_run, rule) == [], short_run.stdout
    also = re.findall(r"^Also tripped: (.*)$", short_run.stdout, re.MULTILINE)
    assert also.count("missing_required_header, negative_data_rejection") == 2
    markdown = (short_run.report / "fuzz.md").read_text()
    assert "Also tripped: `missing_required_header`, `negative_data_rejection`" in markdown


def test_each_finding_names_its_spec_statement(short_run: FuzzRun) -> None:
    assert "Spec statement: /components/parameters/IdempotencyKey/description" in (short_run.stdout)
    junit = (short_run.report / "fuzz.xml").read_text()
    assert 'name="statement" value="/paths/~1threads/post/description"' in junit


REPRODUCED = [
    pytest.param("global-keys", QUICK, "idempotency.principal-scope-POST-threads", id="scope"),
    pytest.param("shared-threads", QUICK, "access.object-level-POST-threads", id="object-level"),
    pytest.param("long-title-500", BOUNDARIES, "not_a_server_error-POST-threads", id="one-request"),
    pytest.param(
        "ignore-key",
        QUICK,
        "idempotency.replay-POST-threads-thread_id-messages",
        id="needs-a-thread",
    ),
]


@pytest.mark.parametrize(("bug", "budget", "name"), REPRODUCED)
def test_a_script_reproduces_on_a_fresh_server_only_where_the_bug_is(
    bug: str, budget: tuple[str, ...], name: str, tmp_path: Path
) -> None:
    server = start_broken(bug, tmp_path)
    try:
        run = fuzz(server, tmp_path, *budget)
    finally:
        server.stop()
    script = run.report / "repro" / f"{name}.sh"
    assert script.is_file(), sorted(p.name for p in (run.report / "repro").glob("*"))
    text = script.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert "set -eu" in text
    assert TOKENS["alice"] not in text
    assert f"sh repro/{name}.sh" in run.stdout
    broken = replay(script, bug, tmp_path)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    assert "the bug reproduces" in broken.stdout
    fixed = replay(script, "", tmp_path)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "not reproduced" in fixed.stdout
