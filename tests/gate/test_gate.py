"""`threadpact gate`: passes on the reference implementation, fails precisely otherwise."""

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT, TOKENS, Server, run_threadpact
from tests.gate.fuzzing import start_broken
from threadpact.codegen import target
from threadpact.config import load_config
from threadpact.gate.runner import codegen_step

STEPS = ["generate --check", "lint", "consumer contracts", "crosscheck", "verify", "fuzz"]


def gate(*args: str) -> subprocess.CompletedProcess[str]:
    return run_threadpact("gate", *args)


@pytest.mark.slow
@pytest.mark.fuzz
def test_the_gate_passes_on_the_reference_implementation(tmp_path: Path) -> None:
    done = gate("--report", str(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    for index, step in enumerate(STEPS, start=1):
        assert f"[{index}/6] {step}" in done.stdout
    suites = ET.parse(tmp_path / "threadpact.xml").getroot()
    assert suites.tag == "testsuites"
    assert [suite.get("name") for suite in suites] == STEPS
    assert suites.get("failures") == "0"
    assert suites.get("errors") == "0"
    summary = (tmp_path / "threadpact.md").read_text()
    assert summary.startswith("## threadpact gate: ✅ passed")
    assert "| verify | ✅ passed |" in summary
    assert (tmp_path / "fuzz.xml").is_file()


@pytest.mark.slow
@pytest.mark.fuzz
def test_the_gate_names_the_rule_a_live_provider_breaks(tmp_path: Path) -> None:
    server: Server = start_broken("wrong-id", tmp_path)
    try:
        done = gate(
            "--base-url", server.base_url,
            "--token", TOKENS["alice"], "--token", TOKENS["bob"],
            "--report", str(tmp_path / "report"),
            "--skip", "verify",
        )  # fmt: skip
    finally:
        server.stop()
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[6/6] fuzz                 failed" in done.stdout
    assert "**id-authority**" in done.stdout
    assert "Reproduce with:" in done.stdout
    junit = ET.parse(tmp_path / "report" / "threadpact.xml").getroot()
    fuzz = next(suite for suite in junit if suite.get("name") == "fuzz")
    assert any(case.get("name", "").startswith("id-authority") for case in fuzz)
    assert "| verify | ⏭️ skipped |" in (tmp_path / "report" / "threadpact.md").read_text()


def test_a_base_url_without_a_token_is_a_usage_error(tmp_path: Path) -> None:
    done = gate("--base-url", "http://127.0.0.1:9", "--report", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "threadpact: provider.tokens: THREADPACT_TOKEN_A is not set; it must hold a bearer "
        "token for the provider at base-url (or pass --token)"
    )
    assert not (tmp_path / "threadpact.md").exists()


def test_stale_models_fail_the_codegen_step(tmp_path: Path) -> None:
    for name in ("pyproject.toml", "openapi.yaml"):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "generated", tmp_path / "generated")
    chosen = (target(load_config(tmp_path / "pyproject.toml")),)
    assert codegen_step(chosen).status == "passed"
    models = tmp_path / "generated" / "threadpact_models" / "__init__.py"
    models.write_text(models.read_text() + "\n# edited by hand\n")
    result = codegen_step(chosen)
    assert result.status == "failed"
    [finding] = result.findings
    assert finding.rule == "codegen.stale"
    assert "-# edited by hand" in finding.details
