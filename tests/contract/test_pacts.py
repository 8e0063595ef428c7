"""The committed pact: it verifies against the reference provider, and it is current."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.contract import broken_provider
from tests.fixtures.processes import ROOT, run_threadpact
from threadpact.config import load_config
from threadpact.conformance.processes import Server
from threadpact.gate.pactdrift import compare, run_consumer_contracts
from threadpact.gate.report import Finding
from threadpact.names import CONSUMER, PROVIDER

CONTRACTS = ROOT / "contracts"
PACT = CONTRACTS / f"{CONSUMER}-{PROVIDER}.json"


def verify(base_url: str, pacts: Path = CONTRACTS) -> subprocess.CompletedProcess[str]:
    return run_threadpact("verify", "--base-url", base_url, "--pacts", str(pacts))


@pytest.mark.contract
def test_committed_pact_verifies_against_the_reference_provider(provider: Server) -> None:
    interactions = len(json.loads(PACT.read_text())["interactions"])
    done = verify(provider.base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"verify: passed: {interactions} interaction(s)" in done.stdout
    # Verifying again (every create now a replay) still passes: the pact allows it.
    assert verify(provider.base_url).returncode == 0


@pytest.mark.contract
def test_committed_pact_fails_against_a_provider_that_lies_about_ids(tmp_path: Path) -> None:
    server = broken_provider.start(tmp_path)
    try:
        done = verify(server.base_url)
    finally:
        server.stop()
    assert done.returncode == 1
    assert "'a request to rename a thread'" in done.stdout
    assert "StatusMismatch" in done.stdout


@pytest.mark.contract
@pytest.mark.slow
def test_committed_pact_is_what_the_consumer_tests_write() -> None:
    loaded = load_config(ROOT / "pyproject.toml")
    owned = [
        (loaded.path(location.path), location.command or "")
        for location in loaded.config.pacts
        if location.kind == "owned"
    ]
    assert [path for path, _command in owned] == [CONTRACTS]
    result = run_consumer_contracts(owned, ROOT)
    assert result.status == "passed", "\n\n".join(f.text() for f in result.findings)
    assert "contracts is current" in result.summary


def test_a_stale_committed_pact_is_caught(tmp_path: Path) -> None:
    committed, produced = tmp_path / "committed", tmp_path / "produced"
    shutil.copytree(CONTRACTS, committed)
    shutil.copytree(CONTRACTS, produced)

    def compared() -> list[Finding]:
        return compare(committed, produced, "contracts", "make pacts")

    assert compared() == []
    document = json.loads(PACT.read_text())
    # What legitimately varies (the pact library's version) is ignored...
    document["metadata"]["pactRust"] = {"ffi": "9.9.9", "models": "9.9.9"}
    (produced / PACT.name).write_text(json.dumps(document))
    assert compared() == []
    # ...but a changed interaction is not.
    document["interactions"][0]["request"]["path"] = "/threads/changed"
    (produced / PACT.name).write_text(json.dumps(document))
    [finding] = compared()
    assert finding.rule == "pact.drift"
    assert '+        "path": "/threads/changed"' in finding.details
    # A pact the tests no longer write is stale too.
    (committed / "old-consumer-threadpact-api.json").write_text("{}")
    assert {f.where for f in compared()} >= {"contracts/old-consumer-threadpact-api.json"}
