"""The packaged conformance suite catches broken clients and passes the reference one.

Each check is a separate pytest process running the suite (as ``threadpact
check-client`` would start it) on the SQLite provider only, through a factory or
through a driver process (the reference driver, wrapping the same factories);
the runs go in parallel to keep the test short.
"""

import os
import re
import shlex
import subprocess
import sys
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
FAILS_ON_CONFLICT = "tests.client.broken_clients:fails_on_conflict"
FACTORIES = [DEFAULT_CLIENT, IGNORES_RESPONSE, NEW_KEY_PER_RETRY, FAILS_ON_CONFLICT]
BROKEN = [
    (IGNORES_RESPONSE, "rule swap: local id", "test_create_takes_the_server_id"),
    (
        NEW_KEY_PER_RETRY,
        "rule same-key-on-retry: the retry sent key",
        "test_lost_response_makes_no_duplicate",
    ),
    (
        FAILS_ON_CONFLICT,
        "rule retry-transient: after a 409 the thread is failed",
        "test_in_flight_conflict_is_retried_with_the_same_key",
    ),
]
BROKEN_IDS = ["ignores-response", "new-key-per-retry", "fails-on-conflict"]


def driver_for(factory: str) -> str:
    """The reference driver wrapping ``factory``."""
    return f"{shlex.quote(sys.executable)} -m threadpact.conformance.refdriver --factory {factory}"


@dataclass(frozen=True)
class Run:
    """A finished conformance run."""

    code: int
    output: str


def planned_runs() -> dict[str, list[str]]:
    """Each run's name (``factory`` or ``driver:factory``) and its command line.

    Every factory runs the whole suite; through the driver, the reference client
    does too and each broken client runs the scenario that catches it.
    """
    plans = {
        client: conformance_command(client, postgres_url=None, pytest_args=["-rf"])
        for client in FACTORIES
    }
    plans[f"driver:{DEFAULT_CLIENT}"] = conformance_command(
        None, postgres_url=None, pytest_args=["-rf"], driver=driver_for(DEFAULT_CLIENT)
    )
    for client, _, failing_test in BROKEN:
        plans[f"driver:{client}"] = conformance_command(
            None,
            postgres_url=None,
            pytest_args=["-rf", "-k", failing_test],
            driver=driver_for(client),
        )
    return plans


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """The suite run against the reference client and the broken ones, in parallel."""
    folder = tmp_path_factory.mktemp("conformance-runs")
    started: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    try:
        for number, (name, command) in enumerate(planned_runs().items()):
            log = folder / f"run-{number}.log"
            with log.open("wb") as handle:
                process = subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=conformance_environment(ROOT),
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                )
            started[name] = (process, log)
        results = {}
        for name, (process, log) in started.items():
            code = process.wait(timeout=240)
            results[name] = Run(code, log.read_text(errors="replace"))
        yield results
    finally:
        for process, _ in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()


@pytest.mark.slow
@pytest.mark.parametrize("path", ["", "driver:"], ids=["factory", "driver"])
@pytest.mark.parametrize(("client", "rule", "failing_test"), BROKEN, ids=BROKEN_IDS)
def test_suite_names_the_rule_a_broken_client_breaks(
    runs: dict[str, Run], path: str, client: str, rule: str, failing_test: str
) -> None:
    run = runs[path + client]
    assert run.code == 1, run.output
    assert rule in run.output, run.output
    failed = rf"FAILED \S*conformance/suite\.py::{failing_test}\[sqlite\]"
    assert re.search(failed, run.output), run.output


@pytest.mark.slow
@pytest.mark.parametrize("path", ["", "driver:"], ids=["factory", "driver"])
def test_the_reference_client_passes(runs: dict[str, Run], path: str) -> None:
    run = runs[path + DEFAULT_CLIENT]
    assert run.code == 0, run.output
    scenarios = len(re.findall(r"^def test_", SUITE.read_text(), flags=re.MULTILINE))
    assert f"{scenarios} passed" in run.output, run.output  # every scenario, on this path
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


def test_the_command_names_a_driver_instead_of_a_factory() -> None:
    command = conformance_command(None, postgres_url=None, driver="node driver.js --fast")
    assert "--driver=node driver.js --fast" in command
    assert "--client" not in command
    with pytest.raises(ValueError, match="exactly one"):
        conformance_command("pkg.mod:factory", postgres_url=None, driver="node driver.js")
    with pytest.raises(ValueError, match="exactly one"):
        conformance_command(None, postgres_url=None)


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
