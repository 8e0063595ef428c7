"""A step in its own process: its result, or an error at its deadline, never a hang."""

import os
import time
from pathlib import Path

import pytest

from threadpact.gate.bounded import run_in_child

TARGETS = "tests.gate.bounded_targets"


class BrokenProvider:
    """A watch whose provider broke from the start."""

    def trouble(self) -> str | None:
        return "process exited with code 9"

    def log_tail(self) -> str:
        return "Traceback: pinned\n  Field required"


def test_a_step_that_finishes_gives_its_own_result() -> None:
    result = run_in_child("quick", f"{TARGETS}:passes", {}, deadline=30)
    assert (result.name, result.status, result.summary) == ("quick", "passed", "done")


def test_a_step_past_its_deadline_is_ended_with_what_it_was_doing(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    started = time.monotonic()
    result = run_in_child(
        "slow", f"{TARGETS}:hangs", {"pid_file": pid_file}, deadline=2, option="--wait"
    )
    assert time.monotonic() - started < 10
    assert result.status == "error"
    [finding] = result.findings
    assert finding.rule == "gate.deadline"
    assert finding.message == (
        "slow did not finish within its 2 s deadline (change it with --wait); "
        "it was waiting for the answer to GET /threads"
    )
    # What the step started went with it (the whole process group is ended).
    grandchild = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the step's own child process outlived the deadline")


def test_a_broken_provider_ends_the_step_with_its_log(tmp_path: Path) -> None:
    result = run_in_child(
        "verify",
        f"{TARGETS}:hangs",
        {"pid_file": tmp_path / "pid"},
        deadline=60,
        watch=BrokenProvider(),
    )
    assert result.status == "error"
    [finding] = result.findings
    assert finding.rule == "provider.broken"
    assert finding.message.startswith("the provider process exited with code 9; verify was ")
    assert "pinned\n  Field required" in finding.details


def test_a_usage_error_in_the_step_is_an_error_result_with_its_line() -> None:
    result = run_in_child("verify", f"{TARGETS}:refuses", {}, deadline=30)
    assert (result.status, result.summary, result.findings) == (
        "error",
        "no such pact directory",
        [],
    )


def test_a_crash_is_an_error_with_the_traceback() -> None:
    result = run_in_child("lint", f"{TARGETS}:crashes", {}, deadline=30)
    assert result.status == "error"
    [finding] = result.findings
    assert finding.rule == "gate.crash"
    assert "RuntimeError: a bug in a step" in finding.details


def test_a_step_process_that_dies_is_an_error() -> None:
    result = run_in_child("lint", f"{TARGETS}:vanishes", {}, deadline=30)
    assert result.status == "error"
    assert result.summary == "lint stopped without a result (exit code 3)"
