"""The CI wiring shipped for users runs the real commands."""

import subprocess

import yaml

from tests.fixtures.processes import ROOT


def test_workflow_runs_the_gate_through_the_action_and_uploads_reports() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/threadpact-gate.yml").read_text())
    assert "pull_request" in workflow[True]  # YAML 1.1 reads the key `on` as True
    steps = workflow["jobs"]["gate"]["steps"]
    [own] = [step for step in steps if step.get("uses") == "./"]
    assert own["with"]["report-dir"] == "reports"
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    action_steps = action["runs"]["steps"]
    uploads = [s for s in action_steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads[0]["with"]["path"].endswith("${{ inputs.report-dir }}")
    assert uploads[0]["if"] == "always()"
    assert any("threadpact" in step.get("run", "") for step in action_steps)


def test_pre_commit_hooks_run_commands_that_exist() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    local = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert {hook["entry"] for hook in hooks} == {
        "threadpact generate --check",
        "threadpact lint",
        "threadpact crosscheck",
    }
    for hook in local:
        done = subprocess.run(
            hook["entry"].split(), cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr
