"""The packaged conformance suite catches broken clients and passes the reference one.

Each check is a separate pytest process running the whole suite (as
``threadpact check-client`` would start it) on the SQLite provider only; the
three runs go in parallel to keep the test short.
"""

import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT
from threadpact.client.adapter import DEFAULT_CLIENT
from threadpact.conformance import POSTGRES_VARIABLE
from threadpact.conformance.runner import (
    PLUGIN,
    SUITE,
    conformance_command,
    conformance_environment,
    run_conformance,
)

IGNORES_RESPONSE = "tests.client.broken_clients:ignores_response"
NEW_KEY_PER_RETRY = "tests.client.broken_clients:new_key_per_retry"


@dataclass(frozen=True)
class Run:
    """A finished conformance run."""

    code: int
    output: str


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """The suite run against the reference client and both broken clients, in parallel."""
    folder = tmp_path_factory.mktemp("conformance-runs")
    started: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    try:
        for number, client in enumerate([DEFAULT_CLIENT, IGNORES_RESPONSE, NEW_KEY_PER_RETRY]):
            log = folder / f"run-{number}.log"
            with log.open("wb") as handle:
                process = subprocess.Popen(
                    conformance_command(client, postgres_url=None, pytest_args=["-rf"]),
                    cwd=ROOT,
                    env=conformance_environment(ROOT),
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            started[client] = (process, log)
        results = {}
        for client, (process, log) in started.items():
            code = process.wait(timeout=240)
            results[client] = Run(code, log.read_text(errors="replace"))
        yield results
    finally:
        for process, _ in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("client", "rule", "failing_test"),
    [
        (IGNORES_RESPONSE, "rule swap: local id", "test_create_takes_the_server_id"),
        (
            NEW_KEY_PER_RETRY,
            "rule same-key-on-retry: the retry sent key",
            "test_lost_response_makes_no_duplicate",
        ),
    ],
    ids=["ignores-response", "new-key-per-retry"],
)
def test_suite_names_the_rule_a_broken_client_breaks(
    runs: dict[str, Run], client: str, rule: str, failing_test: str
) -> None:
    run = runs[client]
    assert run.code == 1, run.output
    assert rule in run.output, run.output
    failed = rf"FAILED \S*conformance/suite\.py::{failing_test}\[sqlite\]"
    assert re.search(failed, run.output), run.output


@pytest.mark.slow
def test_the_reference_client_passes(runs: dict[str, Run]) -> None:
    run = runs[DEFAULT_CLIENT]
    assert run.code == 0, run.output
    assert " passed" in run.output, run.output
    assert "failed" not in run.output, run.output
    assert "postgres]" not in run.output, run.output


def test_the_command_runs_the_packaged_suite_without_the_callers_settings() -> None:
    command = conformance_command("pkg.mod:factory", postgres_url=None)
    assert SUITE.is_file()
    assert str(SUITE) in command
    assert not SUITE.is_relative_to(ROOT / "tests")
    assert command[command.index("-p") + 1] == PLUGIN
    assert command[command.index("-c") + 1] == os.devnull  # no pytest settings of the cwd
    assert command[command.index("--client") + 1] == "pkg.mod:factory"
    assert "--postgres-url=" in command  # SQLite only, whatever the environment says


def test_the_command_passes_the_postgres_url_and_extra_arguments() -> None:
    command = conformance_command(
        "pkg.mod:factory", postgres_url="postgresql://h/db", pytest_args=["-x"]
    )
    assert "--postgres-url=postgresql://h/db" in command
    assert command[-1] == "-x"


def test_the_child_imports_from_the_callers_directory(tmp_path: Path) -> None:
    environment = conformance_environment(
        tmp_path, {"PYTHONPATH": "/elsewhere", POSTGRES_VARIABLE: "postgresql://h/db", "X": "1"}
    )
    assert environment["PYTHONPATH"].split(os.pathsep) == [str(tmp_path), "/elsewhere"]
    assert POSTGRES_VARIABLE not in environment  # PostgreSQL only through --postgres-url
    assert environment["X"] == "1"


def test_an_unloadable_client_is_a_usage_error(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code = run_conformance(
        "tests.client.broken_clients:no_such_factory", postgres_url=None, pytest_args=()
    )
    assert code == 4  # pytest's usage-error exit code; no provider was started
    captured = capfd.readouterr()
    assert "no attribute 'no_such_factory'" in captured.out + captured.err
