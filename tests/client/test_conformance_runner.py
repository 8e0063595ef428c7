"""The conformance suite catches broken clients and passes the reference one.

Each check is a separate pytest process running the whole suite (as
``threadpact check-client`` would start it) on the SQLite provider only; the
three runs go in parallel to keep the test short.
"""

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from threadpact.client.adapter import DEFAULT_CLIENT
from threadpact.client.conformance import conformance_command, run_conformance

ROOT = Path(__file__).resolve().parents[2]
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
                    conformance_command(client, root=ROOT, postgres=False, pytest_args=["-rf"]),
                    cwd=ROOT,
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
    assert f"FAILED tests/client/test_conformance.py::{failing_test}" in run.output, run.output


@pytest.mark.slow
def test_the_reference_client_passes(runs: dict[str, Run]) -> None:
    run = runs[DEFAULT_CLIENT]
    assert run.code == 0, run.output
    assert " passed" in run.output, run.output
    assert "failed" not in run.output, run.output


def test_the_command_names_the_suite_and_the_client() -> None:
    command = conformance_command("pkg.mod:factory", root=ROOT, postgres=False)
    assert str(ROOT / "tests" / "client" / "test_conformance.py") in command
    assert command[command.index("--client") + 1] == "pkg.mod:factory"
    assert command[-2:] == ["-m", "not postgres"]


def test_an_unloadable_client_is_a_usage_error(capfd: pytest.CaptureFixture[str]) -> None:
    code = run_conformance("tests.client.broken_clients:no_such_factory", root=ROOT)
    assert code == 4  # pytest's usage-error exit code; no provider was started
    captured = capfd.readouterr()
    assert "no attribute 'no_such_factory'" in captured.out + captured.err
