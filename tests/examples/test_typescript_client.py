"""The TypeScript reference client: it type-checks, passes its own tests, writes the
committed pact-js pact, and passes the conformance suite through its driver, while its
two broken variants are caught naming the rule they break.

Its Node packages come from its lockfile (``make node`` runs ``npm ci``).
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT
from threadpact.gate.pactdrift import normalised

CLIENT = ROOT / "examples" / "typescript-client"
PACT = CLIENT / "pacts" / "threadpact-web-threadpact-api.json"
DRIVER = "node --import tsx src/driver.ts"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", autouse=True)
def installed() -> None:
    """The client's Node packages, installed from its lockfile."""
    if not (CLIENT / "node_modules" / ".package-lock.json").is_file():
        pytest.fail(f"{CLIENT}/node_modules is missing: run `make node` (npm ci)")


def npm(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "THREADPACT_BIN": str(Path(sys.executable).parent / "threadpact")}
    return subprocess.run(
        ["npm", "run", "--silent", *args],
        cwd=CLIENT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def check_client(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "threadpact", "check-client", *args, "--sqlite-only"]
    return subprocess.run(
        command, cwd=CLIENT, capture_output=True, text=True, timeout=600, check=False
    )


def test_it_type_checks_strictly_against_the_generated_types() -> None:
    done = npm("typecheck")
    assert done.returncode == 0, done.stdout + done.stderr


def test_its_unit_and_driver_tests_pass() -> None:
    for script in ("test", "test:driver"):
        done = npm(script)
        assert done.returncode == 0, f"{script}:\n{done.stdout}{done.stderr}"
        assert re.search(r"^\S+ fail 0$", done.stdout, re.MULTILINE), done.stdout
        assert re.search(r"^\S+ skipped 0$", done.stdout, re.MULTILINE), done.stdout
        assert not re.search(r"^\S+ pass 0$", done.stdout, re.MULTILINE), done.stdout


def test_the_pact_js_tests_write_the_committed_pact() -> None:
    committed = normalised(json.loads(PACT.read_text()))
    done = npm("test:pact")
    assert done.returncode == 0, done.stdout + done.stderr
    written = normalised(json.loads(PACT.read_text()))
    assert written == committed, "the pact-js tests now write a different pact: commit it"
    assert json.loads(PACT.read_text())["metadata"]["pactSpecification"]["version"] == "4.0"


def test_the_reference_typescript_client_conforms_through_its_driver() -> None:
    done = check_client("--driver", DRIVER)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout
    assert "failed" not in done.stdout


@pytest.mark.parametrize(
    ("variant", "rule"),
    [("ignores-response", "rule swap:"), ("new-key-per-retry", "rule same-key-on-retry:")],
)
def test_a_broken_typescript_client_is_caught_naming_the_rule(variant: str, rule: str) -> None:
    done = check_client("--driver", f"{DRIVER} --broken {variant}")
    assert done.returncode == 1, done.stdout + done.stderr
    assert rule in done.stdout


def test_the_typescript_client_survives_the_fault_campaign(tmp_path: Path) -> None:
    command = [
        sys.executable, "-m", "threadpact", "campaign", "--reference", "--driver", DRIVER,
        "--examples", "25", "--steps", "30", "--seed", "2", "--report", str(tmp_path),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=CLIENT, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "campaign.json").read_text())
    assert report["anomalies"] == []
    assert sum(report["operations"].values()) >= 100, report["operations"]
    assert report["faults"], report
