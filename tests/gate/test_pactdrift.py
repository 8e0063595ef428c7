"""Owned pact locations: any consumer-test command, in any language, is drift-checked."""

import json
import shlex
from pathlib import Path

from threadpact.gate.pactdrift import PACT_DIR_ENV, run_consumer_contracts

PACT = {
    "consumer": {"name": "web"},
    "provider": {"name": "api"},
    "interactions": [],
    "metadata": {"pactSpecification": {"version": "3.0.0"}},
}


def writer(source: Path) -> str:
    """A consumer-test command that is not pytest: it copies one pact into the folder."""
    return f'cp {shlex.quote(str(source))} "${PACT_DIR_ENV}/web-api.json" && echo "1 test passed"'


def setup(tmp_path: Path, committed: dict[str, object], written: dict[str, object]) -> Path:
    (tmp_path / "pacts").mkdir()
    (tmp_path / "pacts" / "web-api.json").write_text(json.dumps(committed))
    (tmp_path / "written.json").write_text(json.dumps(written))
    return tmp_path / "pacts"


def test_a_current_owned_location_passes(tmp_path: Path) -> None:
    pacts = setup(tmp_path, PACT, PACT)
    result = run_consumer_contracts([(pacts, writer(tmp_path / "written.json"))], tmp_path)
    assert result.status == "passed", result.findings
    assert result.summary == "1 test passed; pacts is current"


def test_a_changed_pact_is_drift_naming_the_file_and_the_command(tmp_path: Path) -> None:
    changed = {**PACT, "consumer": {"name": "web-2"}}
    pacts = setup(tmp_path, PACT, changed)
    command = writer(tmp_path / "written.json")
    result = run_consumer_contracts([(pacts, command)], tmp_path)
    assert result.status == "failed"
    [finding] = result.findings
    assert finding.rule == "pact.drift"
    assert finding.where == "pacts/web-api.json"
    assert command in finding.message
    assert '+    "name": "web-2"' in finding.details


def test_failing_consumer_tests_are_a_finding_with_their_output(tmp_path: Path) -> None:
    pacts = setup(tmp_path, PACT, PACT)
    result = run_consumer_contracts([(pacts, "echo 'expected 1, got 2' >&2; exit 3")], tmp_path)
    assert result.status == "failed"
    [finding] = result.findings
    assert finding.rule == "pact.consumer-tests"
    assert "(exit 3)" in finding.message
    assert "expected 1, got 2" in finding.details


def test_tests_that_write_no_pact_are_a_finding(tmp_path: Path) -> None:
    pacts = setup(tmp_path, PACT, PACT)
    result = run_consumer_contracts([(pacts, "true")], tmp_path)
    [finding] = result.findings
    assert finding.rule == "pact.consumer-tests"
    assert "wrote no pact file" in finding.message


def test_no_owned_location_skips_the_step(tmp_path: Path) -> None:
    result = run_consumer_contracts([], tmp_path)
    assert result.status == "skipped"
