"""``threadpact campaign`` from the command line: a configured provider and client, its
report and exit codes, a broken client's anomaly on stderr, and usage errors."""

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT

pytestmark = pytest.mark.slow

CONFIG = """
[provider]
command = "{python} -m threadpact serve --port {port} --database-url sqlite:///{workdir}/threads.db"
ready-path = "/healthz"
env = { THREADPACT_TOKENS = "${THREADPACT_TOKEN_A}=alice,${THREADPACT_TOKEN_B}=bob" }

[client]
driver = "{python} -m threadpact.conformance.refdriver"
"""


def campaign(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "threadpact", "campaign", *args]
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_a_configured_provider_and_driver_survive_and_the_report_says_what_ran(
    tmp_path: Path,
) -> None:
    python = shlex.quote(sys.executable)
    (tmp_path / "threadpact.toml").write_text(
        CONFIG.replace("{python} -m threadpact.conformance", f"{python} -m threadpact.conformance")
    )
    done = campaign("--examples", "12", "--steps", "20", "--seed", "3", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.match(r"campaign: 1[2-9] examples", done.stdout), (
        done.stdout
    )  # Hypothesis may add one
    assert "0 anomalies" in done.stdout
    report = json.loads((tmp_path / "reports" / "campaign.json").read_text())
    assert report["anomalies"] == []
    assert report["examples"] >= 12
    assert sum(report["operations"].values()) > 0
    assert report["setup"]["client"] == f"driver `{python} -m threadpact.conformance.refdriver`"
    assert "{port}" in report["setup"]["provider"]  # the configured command, not the reference
    markdown = (tmp_path / "reports" / "campaign.md").read_text()
    assert "| faults that fired | count |" in markdown


def test_a_broken_client_fails_with_the_anomaly_and_its_run(tmp_path: Path) -> None:
    done = campaign(
        "--reference",
        "--client",
        "tests.campaign.broken_clients:store_after_send",
        "--faults",
        "kill-tab",
        "--examples",
        "120",
        "--steps",
        "12",
        "--report",
        str(tmp_path / "out"),
        cwd=ROOT,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "lost (alice" in done.stderr or "lost (bob" in done.stderr, done.stderr
    assert "the run:" in done.stderr
    assert "killed between two actions" in done.stderr
    report = json.loads((tmp_path / "out" / "campaign.json").read_text())
    assert {a["kind"] for a in report["anomalies"]} & {"lost", "orphaned"}
    assert "create" in report["run"]
    assert len(report["run"].splitlines()) <= 15, report["run"]  # shrunk
    assert report["hypothesis_steps"][0] == "state = Campaign()", report["hypothesis_steps"]


def test_a_client_driver_that_cannot_start_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = campaign("--reference", "--driver", "no-such-driver-command", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("threadpact: campaign could not start: the client"), lines[0]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--faults", "meteor"], "unknown fault meteor"),
        (["--examples", "1", "--seconds", "2"], "not allowed with argument"),
        (["--driver", "x", "--client", "y:z"], "--driver and --client"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(
    tmp_path: Path, args: list[str], message: str
) -> None:
    done = campaign(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[0]
