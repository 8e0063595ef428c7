"""A bad configuration stops every command with exit 2 and one clear line."""

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT, run_threadpact


def repository(tmp_path: Path, config: str) -> Path:
    """A git repository with the thread contract spec, one received pact and ``config``."""
    (tmp_path / ".git").mkdir()
    shutil.copy(ROOT / "openapi.yaml", tmp_path / "openapi.yaml")
    (tmp_path / "pacts").mkdir()
    for pact in (ROOT / "contracts").glob("*.json"):
        shutil.copy(pact, tmp_path / "pacts" / pact.name)
    (tmp_path / "threadpact.toml").write_text(config)
    return tmp_path


def threadpact(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_threadpact(*args, cwd=folder, timeout=120)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.mark.parametrize("command", ["gate", "lint", "crosscheck", "generate"])
def test_an_unknown_key_stops_every_command(tmp_path: Path, command: str) -> None:
    folder = repository(tmp_path, "[provider]\nbase-url = 'http://127.0.0.1:9'\nstate = '/s'\n")
    line = one_line(threadpact(folder, command))
    assert line == (
        f"threadpact: {folder / 'threadpact.toml'}: provider.state: unknown key "
        "(did you mean 'states'?)"
    )


def test_a_wrong_type_names_the_key(tmp_path: Path) -> None:
    folder = repository(tmp_path, "[fuzz]\nseed = 'one'\n")
    line = one_line(threadpact(folder, "gate"))
    assert "fuzz.seed: Input should be a valid integer" in line


def test_a_missing_spec_names_the_key(tmp_path: Path) -> None:
    folder = repository(tmp_path, "spec = 'api/missing.yaml'\n")
    line = one_line(threadpact(folder, "gate"))
    assert line == (
        f"threadpact: spec (in {folder / 'threadpact.toml'}): "
        f"{folder / 'api' / 'missing.yaml'} does not exist"
    )


def test_a_missing_received_pact_location_names_the_key(tmp_path: Path) -> None:
    folder = repository(tmp_path, "[[pacts]]\npath = 'elsewhere'\nkind = 'received'\n")
    line = one_line(threadpact(folder, "crosscheck"))
    assert f"pacts[0].path: {folder / 'elsewhere'} does not exist" in line


def test_an_unknown_codegen_option_names_it(tmp_path: Path) -> None:
    config = "[generate.pydantic]\noutput = 'm.py'\noptions = { use-anotated = true }\n"
    line = one_line(threadpact(repository(tmp_path, config), "generate"))
    assert line == (
        "threadpact: generate.pydantic.options.use-anotated: not a datamodel-codegen option "
        "(did you mean 'use-annotated'?)"
    )


def test_an_unknown_typescript_option_names_it(tmp_path: Path) -> None:
    config = "[generate.typescript]\noutput = 'api.ts'\noptions = { alphabetise = true }\n"
    line = one_line(threadpact(repository(tmp_path, config), "generate", "--check"))
    assert line == (
        "threadpact: generate.typescript.options.alphabetise: not an openapi-typescript option "
        "(did you mean 'alphabetize'?)"
    )


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("sleep 30 # {port}", "the provider was not ready within 1s (GET http://127.0.0.1:"),
        ("echo cannot bind >&2; exit 3 # {port}", "the provider command exited with code 3"),
    ],
)
def test_a_provider_that_never_gets_ready_is_exit_2_with_its_log(
    tmp_path: Path, command: str, expected: str
) -> None:
    config = (
        "[[pacts]]\npath = 'pacts'\nkind = 'received'\n"
        f"[provider]\ncommand = '{command}'\nready-timeout = 1\n"
    )
    folder = repository(tmp_path, config)
    done = threadpact(folder, "gate", "--report", str(tmp_path / "report"))
    line = one_line(done)
    assert line.startswith("threadpact: provider set-up failed: ")
    assert expected in line
    assert "[5/6] verify               error" in done.stdout
    assert "[3/6] consumer contracts   skipped" in done.stdout
    assert "[4/6] crosscheck" in done.stdout
    report = (tmp_path / "report" / "threadpact.md").read_text()
    assert "provider.setup" in report
    if "exit 3" in command:
        assert "cannot bind" in report
