"""The packaged conformance suite catches broken clients and passes the reference one.

Each check is a separate pytest process running the suite (as ``threadpact
check-client`` would start it) on the SQLite provider only, through a factory or
through a driver process (the reference driver, wrapping the same factories). The
reference client runs every scenario both ways; each broken client runs, both ways,
the scenario that must catch it. The runs go a few at a time, in parallel.
"""

import ast
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT
from threadpact.client.adapter import DEFAULT_CLIENT
from threadpact.client.invariants import INVARIANT_RULES
from threadpact.conformance import POSTGRES_VARIABLE
from threadpact.conformance.runner import (
    PLUGIN,
    SUITE,
    conformance_command,
    conformance_environment,
    run_conformance,
)

PARALLEL = 8
"""Conformance runs at once (each a pytest process with a provider, and drivers). They
wait on fsync and on each other's processes as much as on a core: on 2 cores, 8 at
once took 90 s where 4 took 120 s."""


@dataclass(frozen=True)
class Broken:
    """A broken client of tests/client/broken_clients.py, the rule it breaks, and the
    scenario that catches it with a message starting ``rule``."""

    name: str
    rule: str
    scenario: str

    @property
    def factory(self) -> str:
        """The client's ``module:factory``."""
        return f"tests.client.broken_clients:{self.name}"


BROKEN = [
    Broken("ignores_response", "rule swap: local id", "test_create_takes_the_server_id"),
    Broken(
        "new_key_per_retry",
        "rule same-key-on-retry: the retry sent key",
        "test_lost_response_makes_no_duplicate",
    ),
    Broken(
        "fails_on_conflict",
        "rule answer-409: after a 409 the thread is failed",
        "test_in_flight_conflict_is_retried_with_the_same_key",
    ),
    Broken(
        "gives_up_offline",
        "rule offline-never-fails: after 3 h offline",
        "test_offline_for_hours_never_fails",
    ),
    Broken(
        "online_does_nothing",
        "rule online-retries-all: after online() (and no sync) the server has 1 of the 4",
        "test_online_sends_everything_pending_at_once",
    ),
    Broken(
        "renews_old_keys",
        "rule key-past-retention: a create retried a day later, past the server's key "
        "retention of 1 s, made 2 server threads",
        "test_a_create_retried_past_the_key_retention_makes_one_thread",
    ),
    Broken(
        "fails_on_server_error",
        "rule answer-5xx: after a 503 the thread is failed",
        "test_server_error_is_retried_with_the_same_key",
    ),
    Broken(
        "ignores_retry_after",
        "rule answer-429: 60 s after a 429 with Retry-After: 3600 the create was sent again",
        "test_too_many_requests_waits_for_retry_after",
    ),
    Broken(
        "retries_unauthorized",
        "rule answer-401: the server answered the creates [401, 401",
        "test_unauthorized_stops_retries_then_manual_retry_syncs",
    ),
    Broken(
        "status_ignores_messages",
        "rule status-reflects-messages: after a 422 to one of its messages the thread is synced",
        "test_a_failed_message_fails_its_thread",
    ),
    Broken(
        "forgets_current_thread",
        "rule reload-keeps-everything: after a reload before any sync the current thread is None",
        "test_reload_before_any_sync_keeps_everything",
    ),
    Broken(
        "refuses_former_ids",
        "rule temporary-id-usable: select_thread(",
        "test_the_temporary_id_still_works_after_the_swap",
    ),
    Broken(
        "hides_thread_in_flight",
        "rule in-flight-view: while its create was in flight the thread was shown 0 time(s)",
        "test_a_thread_in_flight_is_shown_once_and_usable",
    ),
    Broken(
        "stale_tab",
        "rule tabs-share-writes: tab B does not show thread",
        "test_two_tabs_see_each_others_writes",
    ),
    Broken(
        "every_tab_sends",
        "rule tabs-one-send: two POST /threads with key",
        "test_a_change_is_sent_by_one_tab_at_a_time",
    ),
    Broken(
        "sends_own_changes_only",
        "rule tab-recovery: tab B came online and synced, but the server has 0 threads",
        "test_a_closed_tabs_changes_are_sent_by_the_next_tab",
    ),
    Broken(
        "drops_if_match",
        "rule rename-if-match: the rename to 'First rename' sent If-Match None",
        "test_a_rename_carries_the_last_etag_the_client_saw",
    ),
    Broken(
        "overwrites_on_conflict",
        "rule conflict-server-wins: the client's rename overwrote the title set elsewhere",
        "test_a_rename_conflict_is_won_by_the_server",
    ),
    Broken(
        "pull_only_adds",
        "rule pull-applies-remote: after pull the client still shows thread",
        "test_pull_shows_renames_and_deletes_made_elsewhere",
    ),
    Broken(
        "pull_revives_deletes",
        "rule pull-keeps-deletes: after pull the thread",
        "test_pull_never_brings_back_a_thread_being_deleted",
    ),
    Broken(
        "copies_legacy",
        "rule adopts-legacy: the server has 5 threads for the 3 legacy threads",
        "test_threads_the_old_client_made_are_adopted",
    ),
]
NEW_RULES = {
    "offline-never-fails",
    "online-retries-all",
    "key-past-retention",
    "answer-5xx",
    "answer-409",
    "answer-429",
    "answer-401",
    "status-reflects-messages",
    "reload-keeps-everything",
    "temporary-id-usable",
    "in-flight-view",
    "tabs-share-writes",
    "tabs-one-send",
    "tab-recovery",
    "rename-if-match",
    "conflict-server-wins",
    "pull-applies-remote",
    "pull-keeps-deletes",
    "adopts-legacy",
}
"""The rules of the client's hard cases: each has a broken client the suite catches."""


def scenario_modules() -> list[Path]:
    """The suite's scenario modules."""
    return sorted(SUITE.glob("test_*.py"))


def scenario_names() -> list[str]:
    """Every scenario (``test_`` function) of the suite, across its modules."""
    return [
        node.name
        for module in scenario_modules()
        for node in ast.parse(module.read_text()).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    ]


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

    The reference client runs the whole suite, through its factory and through the
    driver; each broken client runs the scenario that catches it, both ways.
    """
    plans = {
        DEFAULT_CLIENT: conformance_command(DEFAULT_CLIENT, postgres_url=None, pytest_args=["-rf"]),
        f"driver:{DEFAULT_CLIENT}": conformance_command(
            None, postgres_url=None, pytest_args=["-rf"], driver=driver_for(DEFAULT_CLIENT)
        ),
    }
    for broken in BROKEN:
        only = ["-rf", "-k", broken.scenario]
        plans[broken.factory] = conformance_command(
            broken.factory, postgres_url=None, pytest_args=only
        )
        plans[f"driver:{broken.factory}"] = conformance_command(
            None, postgres_url=None, pytest_args=only, driver=driver_for(broken.factory)
        )
    return plans


def run(command: list[str], log: Path) -> Run:
    """One conformance run to its end, its output kept in ``log``."""
    with log.open("wb") as handle:
        try:
            code = subprocess.run(
                command,
                cwd=ROOT,
                env=conformance_environment(ROOT),
                stdout=handle,
                stderr=subprocess.STDOUT,
                timeout=240,
                check=False,
            ).returncode
        except subprocess.TimeoutExpired:
            code = -1
    return Run(code, log.read_text(errors="replace"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """The suite run against the reference client and the broken ones, a few at a time."""
    folder = tmp_path_factory.mktemp("conformance-runs")
    plans = planned_runs()
    with ThreadPoolExecutor(max_workers=PARALLEL) as pool:
        futures = {
            name: pool.submit(run, command, folder / f"run-{number}.log")
            for number, (name, command) in enumerate(plans.items())
        }
        yield {name: future.result() for name, future in futures.items()}


@pytest.mark.slow
@pytest.mark.parametrize("path", ["", "driver:"], ids=["factory", "driver"])
@pytest.mark.parametrize("broken", BROKEN, ids=[b.name.replace("_", "-") for b in BROKEN])
def test_suite_names_the_rule_a_broken_client_breaks(
    runs: dict[str, Run], path: str, broken: Broken
) -> None:
    done = runs[path + broken.factory]
    assert done.code == 1, done.output
    assert broken.rule in done.output, done.output
    failed = rf"FAILED \S*conformance/scenarios/test_\w+\.py::{broken.scenario}\[sqlite\]"
    assert re.search(failed, done.output), done.output
    assert "1 failed" in done.output, done.output  # the one scenario, and nothing else


@pytest.mark.slow
@pytest.mark.parametrize("path", ["", "driver:"], ids=["factory", "driver"])
def test_the_reference_client_passes(runs: dict[str, Run], path: str) -> None:
    done = runs[path + DEFAULT_CLIENT]
    assert done.code == 0, done.output
    scenarios = len(scenario_names())
    assert f"{scenarios} passed" in done.output, done.output  # every scenario, on this path
    assert "failed" not in done.output, done.output
    assert "postgres]" not in done.output, done.output


def test_every_new_rule_has_a_broken_client_the_suite_catches() -> None:
    assert set(INVARIANT_RULES) >= NEW_RULES
    caught = {b.rule.removeprefix("rule ").split(":")[0] for b in BROKEN}
    assert caught <= set(INVARIANT_RULES)
    assert NEW_RULES - caught == set()
    assert set(scenario_names()) >= {b.scenario for b in BROKEN}


def test_every_rule_is_named_by_a_scenario() -> None:
    named = "\n".join(path.read_text() for path in SUITE.glob("*.py"))
    assert [rule for rule in INVARIANT_RULES if f'"{rule}"' not in named] == []


def test_scenario_names_are_unique_across_the_modules() -> None:
    names = scenario_names()
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


def test_the_command_runs_the_packaged_suite_without_the_callers_settings() -> None:
    command = conformance_command("pkg.mod:factory", postgres_url=None)
    assert SUITE.is_dir()
    assert scenario_modules()
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
