"""threadpact as another repository uses it: the wheel in a fresh virtual environment.

The wheel is built from this checkout and installed, with its dependencies, into a
new virtual environment outside it. Everything then runs in an empty git
repository: ``threadpact init``, "their" back end configured as a command (the
reference provider, or a broken one, each a separate process), a received pact,
and ``threadpact gate``.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.fixtures.processes import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.fuzz]

REFERENCE_BACKEND = """
[[pacts]]
path = "pacts"
kind = "received"

[provider]
command = "{python} -m threadpact serve --port {port} --test-states"
ready-path = "/healthz"
states = "/_threadpact/provider-states"

[provider.env]
THREADPACT_DATABASE_URL = "sqlite:///{workdir}/their.db"
THREADPACT_TOKENS = "${THREADPACT_TOKEN_A}=alice,${THREADPACT_TOKEN_B}=bob"
"""

# Their back end with the seed's bug: create answers an ID it never stored.
BROKEN_BACKEND_MODULE = """
import json
import os
import re
import uuid

import threadpact.provider.service.threads as threads
from threadpact.provider.app import create_app
from threadpact.provider.config import Settings, tokens_from_env
from threadpact.provider.idempotency import StoredResponse

stored_insert = threads.thread_insert


def lying_insert(owner, body, now):
    answer, insert = stored_insert(owner, body, now)
    made_up = str(uuid.uuid4())
    wire = {**json.loads(answer.body), "id": made_up}
    body = json.dumps(wire).encode()
    return StoredResponse(answer.status, body, f"/threads/{made_up}", answer.etag), insert


def app():
    threads.thread_insert = lying_insert
    settings = Settings(
        database_url=os.environ["DATABASE_URL"],
        tokens=tokens_from_env(),
        test_states=True,
        test_principal="alice",
    )
    return create_app(settings)
"""

BROKEN_BACKEND = """
[[pacts]]
path = "pacts"
kind = "received"

[provider]
command = "{python} -m uvicorn --factory their_backend:app --host 127.0.0.1 --port {port}"
ready-path = "/healthz"
states = "/_threadpact/provider-states"

[provider.env]
DATABASE_URL = "sqlite:///{workdir}/broken.db"
THREADPACT_TOKENS = "${THREADPACT_TOKEN_A}=alice,${THREADPACT_TOKEN_B}=bob"
"""


def clean_environment(venv: Path) -> dict[str, str]:
    """This process's environment without anything pointing into the checkout."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("THREADPACT_", "PYTHON", "VIRTUAL_ENV", "PYTEST"))
    }
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(venv)
    return env


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding the wheel built from this checkout."""
    folder = tmp_path_factory.mktemp("wheel")
    dist = folder / "dist"
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)]
    subprocess.run(build, check=True, capture_output=True, cwd=folder, timeout=300)
    [wheel] = dist.glob("threadpact-*.whl")
    environment = folder / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(environment)], check=True, timeout=120)
    install = [str(environment / "bin" / "python"), "-m", "pip", "install", "-q", str(wheel)]
    done = subprocess.run(
        install, capture_output=True, text=True, cwd=folder, timeout=600, check=False
    )
    assert done.returncode == 0, done.stderr
    return environment


def threadpact(
    venv: Path, *args: str, cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(venv / "bin" / "threadpact"), *args],
        cwd=cwd,
        env=clean_environment(venv),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def their_repository(tmp_path: Path, venv: Path) -> Path:
    """An empty git repository set up by ``threadpact init``, with a received pact."""
    repo = tmp_path / "their-api"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    done = threadpact(venv, "init", cwd=repo)
    assert done.returncode == 0, done.stderr
    assert threadpact(venv, "generate", cwd=repo).returncode == 0
    (repo / "pacts").mkdir()
    for pact in (ROOT / "contracts").glob("*.json"):
        shutil.copy(pact, repo / "pacts" / f"web-{pact.name}")
    return repo


def test_the_installed_package_never_refers_to_the_checkouts_tests(venv: Path) -> None:
    [site] = venv.glob("lib/python*/site-packages")
    package = site / "threadpact"
    assert (package / "openapi.yaml").is_file()
    mentions = [
        str(path.relative_to(site))
        for path in package.rglob("*")
        if path.is_file() and path.suffix in {".py", ".toml", ".yml", ".yaml"}
        and "tests/" in path.read_text(errors="replace")
    ]  # fmt: skip
    assert mentions == []


def test_a_new_repository_gates_its_back_end(tmp_path: Path, venv: Path) -> None:
    repo = their_repository(tmp_path, venv)
    with (repo / "threadpact.toml").open("a") as config:
        config.write(REFERENCE_BACKEND)
    done = threadpact(venv, "gate", cwd=repo)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "[1/6] generate --check     passed" in done.stdout
    assert "[5/6] verify               passed" in done.stdout
    assert "[6/6] fuzz                 passed" in done.stdout
    assert (repo / "reports" / "threadpact.xml").is_file()
    assert (
        (repo / "reports" / "threadpact.md").read_text().startswith("## threadpact gate: ✅ passed")
    )
    for command in (["lint"], ["crosscheck"]):
        assert threadpact(venv, *command, cwd=repo).returncode == 0, command


def test_a_broken_back_end_fails_the_gate_naming_the_rule(tmp_path: Path, venv: Path) -> None:
    repo = their_repository(tmp_path, venv)
    (repo / "their_backend.py").write_text(BROKEN_BACKEND_MODULE)
    with (repo / "threadpact.toml").open("a") as config:
        config.write(BROKEN_BACKEND)
    done = threadpact(venv, "gate", "--skip", "verify", cwd=repo)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "[6/6] fuzz                 failed" in done.stdout
    assert "**id-authority**" in done.stdout
    assert "id-authority" in (repo / "reports" / "threadpact.md").read_text()


def test_the_pre_commit_hooks_work_from_another_repository(tmp_path: Path, venv: Path) -> None:
    repo = their_repository(tmp_path, venv)
    with (repo / "threadpact.toml").open("a") as config:
        config.write('\n[[pacts]]\npath = "pacts"\nkind = "received"\n')
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    env = {**clean_environment(venv), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    pre_commit = [sys.executable, "-m", "pre_commit", "try-repo", str(ROOT), "--all-files"]
    done = subprocess.run(
        pre_commit, cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for hook in ("generate --check", "lint", "crosscheck"):
        assert re.search(rf"threadpact {hook}\.+Passed", done.stdout), done.stdout

    models = repo / "generated" / "models.py"
    models.write_text(models.read_text() + "\n# edited by hand\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    stale = subprocess.run(
        pre_commit, cwd=repo, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert stale.returncode == 1
    assert re.search(r"threadpact generate --check\.+Failed", stale.stdout), stale.stdout


def action_steps() -> dict[str, dict[str, Any]]:
    """The composite Action's steps by name."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    return {step.get("name", step.get("uses", "")): step for step in action["runs"]["steps"]}


def test_the_action_takes_its_inputs_through_the_environment_only() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert {"config", "base-url", "token", "second-token", "report-dir"} <= set(action["inputs"])
    for name, step in action_steps().items():
        assert "${{" not in step.get("run", ""), f"step {name!r} pastes an expression in"


def test_the_actions_scripts_run_the_gate_and_fill_the_job_summary(
    tmp_path: Path, venv: Path
) -> None:
    repo = their_repository(tmp_path, venv)
    with (repo / "threadpact.toml").open("a") as config:
        config.write(REFERENCE_BACKEND)
    steps = action_steps()
    output, summary = tmp_path / "github-output", tmp_path / "step-summary"
    env = {
        **clean_environment(venv),
        "THREADPACT_ACTION_CONFIG": "threadpact.toml",
        "THREADPACT_ACTION_BASE_URL": "",
        "THREADPACT_ACTION_REPORT": "gate-reports",
        "THREADPACT_TOKEN_A": "",
        "THREADPACT_TOKEN_B": "",
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    for name in ("Run the gate", "Job summary"):
        script = steps[name]["run"]
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    assert output.read_text() == "exit-code=0\n"
    assert summary.read_text().startswith("## threadpact gate: ✅ passed")
    assert (repo / "gate-reports" / "threadpact.xml").is_file()


@pytest.mark.parametrize(
    "command",
    [
        "init",
        "gate",
        "generate",
        "lint",
        "crosscheck",
        "verify",
        "fuzz",
        "check-client",
        "campaign",
        "serve",
    ],
)
def test_every_command_starts_from_the_wheel_outside_any_checkout(
    tmp_path: Path, venv: Path, command: str
) -> None:
    done = threadpact(venv, command, "--help", cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"usage: threadpact {command}" in done.stdout
